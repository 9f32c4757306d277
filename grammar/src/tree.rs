//! ConfigTree: the candidate or committed configuration as statements in schema order, list
//! entries in their order, `inactive:` flags and annotations.

use indexmap::IndexMap;

use crate::error::EditError;
use crate::resolve::{Assign, PathElem, Step, Target};
use crate::schema::{Kind, ROOT, Stmt};

/// `inactive:` flag and `/* annotation */` of a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub inactive: bool,
    pub annotation: Option<String>,
}

/// A container body: its statements, sorted by their index in the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub children: Vec<Child>,
}

/// One statement inside a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// Index of the statement among its siblings in the schema.
    pub idx: u16,
    pub meta: Meta,
    pub value: Value,
}

/// What a statement holds, by its kind in the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Container(Node),
    Presence,
    /// A leaf; `None` only for an optional leaf given without value (`reject;`).
    Leaf(Option<String>),
    LeafList(Vec<String>),
    List(Entries),
}

/// List entries by key, in order (the order matters for terms, policies and rules).
#[derive(Debug, Clone, Default)]
pub struct Entries(pub IndexMap<String, Entry>);

impl PartialEq for Entries {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().eq(other.0.iter())
    }
}
impl Eq for Entries {}

/// One entry of a list: `term t1 { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub meta: Meta,
    pub node: Node,
}

/// A whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTree {
    pub root: Node,
}

impl Value {
    fn empty_for(stmt: &Stmt) -> Value {
        match stmt.kind {
            Kind::Container => Value::Container(Node::default()),
            Kind::Presence => Value::Presence,
            Kind::Leaf(_) | Kind::OptionalLeaf(_) => Value::Leaf(None),
            Kind::LeafList(_) => Value::LeafList(Vec::new()),
            Kind::List { .. } => Value::List(Entries::default()),
        }
    }

    fn is_empty_collection(&self) -> bool {
        match self {
            Value::LeafList(v) => v.is_empty(),
            Value::List(e) => e.0.is_empty(),
            _ => false,
        }
    }
}

impl Node {
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    pub fn child(&self, idx: u16) -> Option<&Child> {
        self.children
            .binary_search_by_key(&idx, |c| c.idx)
            .ok()
            .map(|i| &self.children[i])
    }

    fn child_mut(&mut self, idx: u16) -> Option<&mut Child> {
        match self.children.binary_search_by_key(&idx, |c| c.idx) {
            Ok(i) => Some(&mut self.children[i]),
            Err(_) => None,
        }
    }

    /// The child at `idx`, created empty if absent; statements of the same choice go away.
    fn ensure(&mut self, stmts: &'static [Stmt], idx: u16) -> &mut Child {
        let pos = match self.children.binary_search_by_key(&idx, |c| c.idx) {
            Ok(i) => i,
            Err(_) => {
                let stmt = &stmts[usize::from(idx)];
                if let Some(group) = stmt.choice {
                    self.children
                        .retain(|c| stmts[usize::from(c.idx)].choice != Some(group));
                }
                let pos = self
                    .children
                    .binary_search_by_key(&idx, |c| c.idx)
                    .unwrap_err();
                self.children.insert(
                    pos,
                    Child {
                        idx,
                        meta: Meta::default(),
                        value: Value::empty_for(stmt),
                    },
                );
                pos
            }
        };
        &mut self.children[pos]
    }

    fn remove(&mut self, idx: u16) -> Option<Child> {
        self.children
            .binary_search_by_key(&idx, |c| c.idx)
            .ok()
            .map(|i| self.children.remove(i))
    }
}

/// The body a child leads into: a container's node or a list entry's node.
fn descend_mut<'a>(child: &'a mut Child, key: Option<&str>) -> Option<&'a mut Node> {
    match (&mut child.value, key) {
        (Value::Container(n), None) => Some(n),
        (Value::List(e), Some(k)) => e.0.get_mut(k).map(|e| &mut e.node),
        _ => None,
    }
}

fn descend<'a>(child: &'a Child, key: Option<&str>) -> Option<&'a Node> {
    match (&child.value, key) {
        (Value::Container(n), None) => Some(n),
        (Value::List(e), Some(k)) => e.0.get(k).map(|e| &e.node),
        _ => None,
    }
}

/// A statement a path names: a child of a node, or an entry of a list.
#[derive(Debug)]
pub enum Item<'a> {
    Child(&'a Child),
    Entry(&'a Entry),
}

impl ConfigTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// The node a path leads into (the root for an empty path).
    pub fn node(&self, path: &[PathElem]) -> Option<&Node> {
        let mut node = &self.root;
        for elem in path {
            node = descend(node.child(elem.idx)?, elem.key.as_deref())?;
        }
        Some(node)
    }

    fn node_mut(&mut self, path: &[PathElem]) -> Option<&mut Node> {
        let mut node = &mut self.root;
        for elem in path {
            node = descend_mut(node.child_mut(elem.idx)?, elem.key.as_deref())?;
        }
        Some(node)
    }

    /// The statement at the end of a path.
    pub fn item(&self, path: &[PathElem]) -> Option<Item<'_>> {
        let (last, parent) = path.split_last()?;
        let child = self.node(parent)?.child(last.idx)?;
        match (&last.key, &child.value) {
            (Some(k), Value::List(e)) => e.0.get(k.as_str()).map(Item::Entry),
            (Some(_), _) => None,
            (None, _) => Some(Item::Child(child)),
        }
    }

    pub fn exists(&self, path: &[PathElem]) -> bool {
        path.is_empty() || self.item(path).is_some()
    }

    fn meta_mut(&mut self, path: &[PathElem]) -> Result<&mut Meta, EditError> {
        let (last, parent) = path.split_last().ok_or(EditError::NotFound)?;
        let child = self
            .node_mut(parent)
            .and_then(|n| n.child_mut(last.idx))
            .ok_or(EditError::NotFound)?;
        match (&last.key, &mut child.value) {
            (Some(k), Value::List(e)) => {
                e.0.get_mut(k.as_str())
                    .map(|e| &mut e.meta)
                    .ok_or(EditError::NotFound)
            }
            (Some(_), _) => Err(EditError::NotFound),
            (None, _) => Ok(&mut child.meta),
        }
    }

    /// Applies one assignment, creating what the path needs.
    pub fn apply(&mut self, step: &Step) {
        let mut node = &mut self.root;
        let mut stmts: &'static [Stmt] = ROOT.children;
        let last = step.path.len().saturating_sub(1);
        for (i, elem) in step.path.iter().enumerate() {
            let stmt = &stmts[usize::from(elem.idx)];
            let child = node.ensure(stmts, elem.idx);
            if i == last {
                match (&step.assign, &mut child.value) {
                    (Assign::Value(v), Value::Leaf(slot)) => *slot = v.clone(),
                    (Assign::Values(vs), Value::LeafList(list)) => {
                        for v in vs {
                            if !list.contains(v) {
                                list.push(v.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
            node = match (&mut child.value, &elem.key) {
                (Value::Container(n), None) => n,
                (Value::List(e), Some(k)) => {
                    let i = match e.0.get_index_of(k.as_str()) {
                        Some(i) => i,
                        None => e.0.insert_full(k.clone(), Entry::default()).0,
                    };
                    &mut e.0[i].node
                }
                _ => return,
            };
            stmts = stmt.children_for(elem.key.as_deref());
        }
    }

    /// Deletes the statement (or, for a leaf, the given values) a target names; containers
    /// left empty by the deletion go too.
    pub fn delete(&mut self, target: &Target) -> Result<(), EditError> {
        if target.path.is_empty() {
            if self.root.is_empty() {
                return Err(EditError::NotFound);
            }
            self.root = Node::default();
            return Ok(());
        }
        delete_in(&mut self.root, &target.path, target.values.as_deref()).map(|_| ())
    }

    /// Sets or clears `inactive:` on a statement.
    pub fn set_inactive(&mut self, path: &[PathElem], inactive: bool) -> Result<(), EditError> {
        self.meta_mut(path)?.inactive = inactive;
        Ok(())
    }

    /// Sets (or with `None` removes) a statement's annotation.
    pub fn annotate(&mut self, path: &[PathElem], text: Option<String>) -> Result<(), EditError> {
        self.meta_mut(path)?.annotation = text.filter(|t| !t.is_empty());
        Ok(())
    }

    fn entries_mut(&mut self, path: &[PathElem]) -> Result<(&mut Entries, String), EditError> {
        let (last, parent) = path.split_last().ok_or(EditError::NotFound)?;
        let key = last
            .key
            .clone()
            .ok_or_else(|| EditError::Invalid("a named statement is required".into()))?;
        let child = self
            .node_mut(parent)
            .and_then(|n| n.child_mut(last.idx))
            .ok_or(EditError::NotFound)?;
        match &mut child.value {
            Value::List(e) if e.0.contains_key(key.as_str()) => Ok((e, key)),
            _ => Err(EditError::NotFound),
        }
    }

    /// Renames a list entry in place, keeping its position.
    pub fn rename(&mut self, path: &[PathElem], new_key: &str) -> Result<(), EditError> {
        let (entries, key) = self.entries_mut(path)?;
        if entries.0.contains_key(new_key) {
            return Err(EditError::Invalid(format!("'{new_key}' already exists")));
        }
        let (i, _, entry) = entries
            .0
            .shift_remove_full(key.as_str())
            .ok_or(EditError::NotFound)?;
        entries.0.shift_insert(i, new_key.to_string(), entry);
        Ok(())
    }

    /// Copies a list entry to a new key, placed after the last entry.
    pub fn copy(&mut self, path: &[PathElem], new_key: &str) -> Result<(), EditError> {
        let (entries, key) = self.entries_mut(path)?;
        if entries.0.contains_key(new_key) {
            return Err(EditError::Invalid(format!("'{new_key}' already exists")));
        }
        let entry = entries.0[key.as_str()].clone();
        entries.0.insert(new_key.to_string(), entry);
        Ok(())
    }

    /// Moves a list entry before or after another entry of the same list.
    pub fn insert(
        &mut self,
        path: &[PathElem],
        before: bool,
        other: &str,
    ) -> Result<(), EditError> {
        let (entries, key) = self.entries_mut(path)?;
        if key == other {
            return Err(EditError::Invalid(
                "cannot insert a statement relative to itself".into(),
            ));
        }
        if !entries.0.contains_key(other) {
            return Err(EditError::Invalid(format!("'{other}' not found")));
        }
        let (_, k, entry) = entries
            .0
            .shift_remove_full(key.as_str())
            .ok_or(EditError::NotFound)?;
        let at = entries.0.get_index_of(other).ok_or(EditError::NotFound)?;
        let at = if before { at } else { at + 1 };
        entries.0.shift_insert(at, k, entry);
        Ok(())
    }

    /// `load merge`: statements of `other` are added; its leaves replace ours.
    pub fn merge(&mut self, other: &ConfigTree) {
        merge_node(&mut self.root, ROOT.children, &other.root);
    }
}

/// Deletes in `node`; returns whether `node` is now empty.
fn delete_in(
    node: &mut Node,
    path: &[PathElem],
    values: Option<&[String]>,
) -> Result<bool, EditError> {
    let (first, rest) = path.split_first().ok_or(EditError::NotFound)?;
    let child = node.child_mut(first.idx).ok_or(EditError::NotFound)?;
    if rest.is_empty() {
        match (&first.key, &mut child.value, values) {
            (Some(k), Value::List(e), _) => {
                e.0.shift_remove(k.as_str()).ok_or(EditError::NotFound)?;
            }
            (None, Value::LeafList(list), Some(vs)) => {
                if !vs.iter().all(|v| list.contains(v)) {
                    return Err(EditError::NotFound);
                }
                list.retain(|v| !vs.contains(v));
            }
            (None, Value::Leaf(cur), Some(vs)) => {
                if cur.as_deref() != vs.first().map(String::as_str) {
                    return Err(EditError::NotFound);
                }
                node.remove(first.idx);
                return Ok(node.is_empty());
            }
            (None, _, _) => {
                node.remove(first.idx);
                return Ok(node.is_empty());
            }
            (Some(_), _, _) => return Err(EditError::NotFound),
        }
        if child.value.is_empty_collection() {
            node.remove(first.idx);
        }
        return Ok(node.is_empty());
    }
    let is_container = matches!(child.value, Value::Container(_));
    let inner = descend_mut(child, first.key.as_deref()).ok_or(EditError::NotFound)?;
    let emptied = delete_in(inner, rest, values)?;
    if emptied && is_container {
        node.remove(first.idx);
    }
    Ok(node.is_empty())
}

fn merge_meta(into: &mut Meta, from: &Meta) {
    if from.inactive {
        into.inactive = true;
    }
    if from.annotation.is_some() {
        into.annotation.clone_from(&from.annotation);
    }
}

fn merge_node(into: &mut Node, stmts: &'static [Stmt], from: &Node) {
    for child in &from.children {
        let stmt = &stmts[usize::from(child.idx)];
        let target = into.ensure(stmts, child.idx);
        merge_meta(&mut target.meta, &child.meta);
        match (&mut target.value, &child.value) {
            (Value::Container(a), Value::Container(b)) => merge_node(a, stmt.children, b),
            (Value::Leaf(a), Value::Leaf(b)) => a.clone_from(b),
            (Value::LeafList(a), Value::LeafList(b)) => {
                for v in b {
                    if !a.contains(v) {
                        a.push(v.clone());
                    }
                }
            }
            (Value::List(a), Value::List(b)) => {
                for (k, e) in &b.0 {
                    let slot = a.0.entry(k.clone()).or_default();
                    merge_meta(&mut slot.meta, &e.meta);
                    merge_node(&mut slot.node, stmt.children_for(Some(k)), &e.node);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
