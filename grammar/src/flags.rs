//! Flag expressions of `tcp-flags "(syn & !ack)"` and `fragment-flags "more-fragments"`.

use pest::Parser;
use pest::iterators::Pair;
use serde::{Deserialize, Serialize};

use crate::parse::{JunosParser, Rule};

/// A boolean expression over the bits of a flags field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlagExpr {
    /// True when every bit of the mask is set.
    Bits(u8),
    Not(Box<FlagExpr>),
    And(Vec<FlagExpr>),
    Or(Vec<FlagExpr>),
}

impl FlagExpr {
    /// Evaluates the expression against a flags byte.
    pub fn eval(&self, flags: u8) -> bool {
        match self {
            FlagExpr::Bits(mask) => flags & mask == *mask,
            FlagExpr::Not(e) => !e.eval(flags),
            FlagExpr::And(es) => es.iter().all(|e| e.eval(flags)),
            FlagExpr::Or(es) => es.iter().any(|e| e.eval(flags)),
        }
    }

    /// The 256-entry truth table, for classifiers that match with one lookup.
    pub fn truth_table(&self) -> [u64; 4] {
        let mut table = [0u64; 4];
        for v in 0..=255u8 {
            if self.eval(v) {
                table[usize::from(v >> 6)] |= 1 << (v & 63);
            }
        }
        table
    }
}

/// Parses an expression whose names come from `names` (name, bit).
pub fn parse(text: &str, names: &[(&str, u8)]) -> Result<FlagExpr, String> {
    let mut pairs = JunosParser::parse(Rule::flag_expr, text)
        .map_err(|_| format!("invalid flag expression: '{text}'"))?;
    let top = pairs.next().and_then(|p| p.into_inner().next());
    match top {
        Some(or) => build(or, names),
        None => Err(format!("invalid flag expression: '{text}'")),
    }
}

fn build(pair: Pair<'_, Rule>, names: &[(&str, u8)]) -> Result<FlagExpr, String> {
    match pair.as_rule() {
        Rule::flag_or | Rule::flag_and => {
            let is_or = pair.as_rule() == Rule::flag_or;
            let mut parts = pair
                .into_inner()
                .map(|p| build(p, names))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match (parts.len(), is_or) {
                (1, _) => parts.remove(0),
                (_, true) => FlagExpr::Or(parts),
                (_, false) => FlagExpr::And(parts),
            })
        }
        Rule::flag_not => {
            let mut negations = 0;
            let mut atom = None;
            for p in pair.into_inner() {
                if p.as_rule() == Rule::negate {
                    negations += 1;
                } else {
                    atom = Some(build(p, names)?);
                }
            }
            let atom = atom.ok_or_else(|| "invalid flag expression".to_string())?;
            Ok(if negations % 2 == 1 {
                FlagExpr::Not(Box::new(atom))
            } else {
                atom
            })
        }
        Rule::flag_name => {
            let name = pair.as_str();
            crate::schema::value::named(names, name)
                .map(FlagExpr::Bits)
                .ok_or_else(|| format!("invalid flag name: '{name}'"))
        }
        Rule::flag_number => {
            let s = pair.as_str();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u8::from_str_radix(hex, 16),
                None => s.parse::<u8>(),
            };
            parsed
                .map(FlagExpr::Bits)
                .map_err(|_| format!("invalid flag value: '{s}'"))
        }
        _ => Err(format!("invalid flag expression: '{}'", pair.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::value::TCP_FLAG_NAMES;

    #[test]
    fn tcp_initial_expression_matches_syn_without_ack() {
        let e = parse("(syn & !ack)", TCP_FLAG_NAMES).unwrap();
        assert!(e.eval(0x02));
        assert!(!e.eval(0x12));
        assert!(!e.eval(0x10));
    }

    #[test]
    fn tcp_established_expression_matches_ack_or_rst() {
        let e = parse("(ack | rst)", TCP_FLAG_NAMES).unwrap();
        assert!(e.eval(0x10) && e.eval(0x04) && !e.eval(0x02));
    }

    #[test]
    fn unknown_flag_name_is_an_error() {
        assert_eq!(
            parse("syn & bogus", TCP_FLAG_NAMES).unwrap_err(),
            "invalid flag name: 'bogus'"
        );
    }

    #[test]
    fn truth_table_agrees_with_eval() {
        let e = parse("!(fin | rst) & 0x10", TCP_FLAG_NAMES).unwrap();
        let t = e.truth_table();
        for v in 0..=255u8 {
            assert_eq!(t[usize::from(v >> 6)] >> (v & 63) & 1 == 1, e.eval(v));
        }
    }
}
