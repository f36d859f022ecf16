//! A set of bytes as 256 bits: a cheap first test before a hash look-up ("can any key
//! start with this byte?").

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    pub(crate) fn insert(&mut self, b: u8) {
        self.0[usize::from(b / 64)] |= 1 << (b % 64);
    }

    #[inline]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b / 64)] & (1 << (b % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSet;

    #[test]
    fn byte_sets() {
        let mut set = ByteSet::default();
        for b in [0, b'A', 63, 64, 200, 255] {
            set.insert(b);
        }
        for b in 0..=255u8 {
            assert_eq!(
                set.contains(b),
                [0, b'A', 63, 64, 200, 255].contains(&b),
                "{b}"
            );
        }
    }
}
