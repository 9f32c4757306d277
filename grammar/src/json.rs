//! `show | display json`: the Junos JSON shape (`{"configuration" : {...}}`, `[null]` for
//! presence, `"@" : {"inactive" : true}`, entries as objects with `"name"` first).

use serde_json::{Map, Value as Json, json};

use crate::schema::{ROOT, Stmt, ValueType};
use crate::tree::{ConfigTree, Meta, Node, Value};

fn attrs(meta: &Meta) -> Option<Json> {
    let mut m = Map::new();
    if meta.inactive {
        m.insert("inactive".into(), Json::Bool(true));
    }
    if let Some(a) = &meta.annotation {
        m.insert("comment".into(), Json::String(format!("/* {a} */")));
    }
    (!m.is_empty()).then_some(Json::Object(m))
}

/// Integers are unquoted in Junos JSON; other values are strings.
fn scalar(ty: Option<ValueType>, v: &str) -> Json {
    match ty {
        Some(ValueType::Uint { .. }) => v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n)),
        _ => json!(v),
    }
}

fn object(node: &Node, stmts: &'static [Stmt], meta: Option<&Meta>, name: Option<Json>) -> Json {
    let mut m = Map::new();
    if let Some(n) = name {
        m.insert("name".into(), n);
    }
    if let Some(a) = meta.and_then(attrs) {
        m.insert("@".into(), a);
    }
    for child in &node.children {
        let stmt = &stmts[usize::from(child.idx)];
        let ty = stmt.value_type();
        let key = match stmt.element {
            Some(e) if stmt.name.is_empty() => e,
            _ => stmt.name,
        };
        let value = match &child.value {
            Value::Container(n) if n.is_empty() && attrs(&child.meta).is_none() => json!([null]),
            Value::Container(n) => object(n, stmt.children, Some(&child.meta), None),
            Value::Presence | Value::Leaf(None) => json!([null]),
            Value::Leaf(Some(v)) => scalar(ty, v),
            Value::LeafList(vs) => Json::Array(vs.iter().map(|v| scalar(ty, v)).collect()),
            Value::List(entries) => {
                let items: Vec<Json> = entries
                    .0
                    .iter()
                    .map(|(k, e)| {
                        object(
                            &e.node,
                            stmt.children_for(Some(k)),
                            Some(&e.meta),
                            Some(scalar(ty, k)),
                        )
                    })
                    .collect();
                match stmt.element {
                    _ if stmt.is_family() => {
                        let mut families = Map::new();
                        for (k, e) in &entries.0 {
                            families.insert(
                                k.clone(),
                                object(&e.node, stmt.children_for(Some(k)), Some(&e.meta), None),
                            );
                        }
                        Json::Object(families)
                    }
                    Some(element) if !stmt.name.is_empty() => {
                        let mut wrapper = Map::new();
                        if let Some(a) = attrs(&child.meta) {
                            wrapper.insert("@".into(), a);
                        }
                        wrapper.insert(element.into(), Json::Array(items));
                        Json::Object(wrapper)
                    }
                    _ => Json::Array(items),
                }
            }
        };
        let leaf_like = matches!(
            child.value,
            Value::Presence | Value::Leaf(_) | Value::LeafList(_)
        );
        if leaf_like && let Some(a) = attrs(&child.meta) {
            m.insert(format!("@{key}"), a);
        }
        m.insert(key.to_string(), value);
    }
    Json::Object(m)
}

/// The tree as a JSON value in the Junos shape.
pub fn to_json(tree: &ConfigTree) -> Json {
    json!({ "configuration": object(&tree.root, ROOT.children, None, None) })
}

/// Junos prints `"key" : value` with 4-space indentation.
struct JunosFormatter(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for JunosFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b" : ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Pretty JSON text of a value, Junos style.
pub fn pretty(value: &Json) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        JunosFormatter(serde_json::ser::PrettyFormatter::with_indent(b"    ")),
    );
    // Serializing a serde_json::Value into memory cannot fail.
    let _ = value.serialize(&mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `show configuration | display json`.
pub fn render(tree: &ConfigTree) -> String {
    pretty(&to_json(tree))
}
