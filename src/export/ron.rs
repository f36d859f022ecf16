//! RON: the [`KnowledgeGraph`] serialised by serde; `ron::from_str::<KnowledgeGraph>` loads
//! it back.

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// Writes the graph as pretty RON followed by a newline.
///
/// # Errors
/// Write errors.
pub fn write_ron(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let config = ron::ser::PrettyConfig::new();
    let text = ron::ser::to_string_pretty(graph, config)
        .map_err(|e| Error::export("ron", e.to_string()))?;
    out.write_all(text.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .map_err(|e| super::io_err("ron", e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        let p = crate::Pipeline::new().unwrap();
        let g = p.run("t", "Kremlin spokesman Dmitry Peskov said \"no\" \\ {}.");
        let mut out = Vec::new();
        super::write_ron(&g, &mut out).unwrap();
        let back: crate::KnowledgeGraph =
            ron::from_str(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(back, g);
    }
}
