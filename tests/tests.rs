//! End-to-end tests: one integration binary, one module per topic.

mod acceptance;
mod bad_input;
mod cli;
mod consumers;
mod corpus;
mod examples;
mod export;
mod gazetteer;
mod properties;
mod regression;
mod util;
