//! The commands of both modes: their table, their implementations, and `?` help.

pub mod accounting;
pub mod configuration;
pub mod engine;
pub mod help;
pub mod mirror;
pub mod operational;
pub mod tree;

use flowsh_grammar::parse::Token;

use crate::lex::Word;

/// Command-line words as grammar tokens (offsets relative to the line).
pub fn tokens(words: &[Word]) -> Vec<Token> {
    words
        .iter()
        .map(|w| Token {
            text: w.text.clone(),
            offset: w.start,
            list: None,
            quoted: false,
        })
        .collect()
}
