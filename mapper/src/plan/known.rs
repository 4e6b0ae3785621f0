//! What a write is known to store, from its request alone: a transaction returns no item, so
//! its outcome is read from here.

use crate::expr::{SetValue, UpdateAction, UpdateExpression, UpdateValue};
use crate::item::ItemMap;

/// What a write is known to store after it applied.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    /// The attributes whose stored value is known: the values sent.
    pub(crate) attributes: ItemMap,
    /// The attributes whose value the server decided: a counter's new value, a value written
    /// only if none was stored, `ADD`, `DELETE`, `list_append`, a write inside a map or list.
    pub(crate) decided_by_server: Vec<String>,
    /// The attributes removed.
    pub(crate) removed: Vec<String>,
    /// Whether the attributes the request does not name kept their stored values (a patch,
    /// an update that ignores absent values), which the mapper does not know.
    pub(crate) others_kept: bool,
}

impl Known {
    /// A put stores its item exactly.
    pub(crate) fn put(item: &ItemMap) -> Self {
        Known {
            attributes: item.clone(),
            decided_by_server: Vec::new(),
            removed: Vec::new(),
            others_kept: false,
        }
    }

    /// An update stores its key, the plain values it sets, and removes what it removes;
    /// everything else is the server's, or kept when `others_kept`.
    pub(crate) fn update(key: &ItemMap, update: &UpdateExpression, others_kept: bool) -> Self {
        let mut known = Known {
            attributes: key.clone(),
            decided_by_server: Vec::new(),
            removed: Vec::new(),
            others_kept,
        };
        for action in update.actions() {
            let path = action.path();
            let name = path.root().to_owned();
            match action {
                UpdateAction::Set(_, SetValue::Operand(UpdateValue::Value(value))) if path.is_top_level() => {
                    known.attributes.insert(name, value.clone());
                }
                UpdateAction::Remove(_) if path.is_top_level() => known.removed.push(name),
                _ if known.decided_by_server.contains(&name) => {}
                _ => known.decided_by_server.push(name),
            }
        }
        known
    }

    /// Whether every attribute of the stored item is known.
    pub(crate) fn is_whole(&self) -> bool {
        !self.others_kept && self.decided_by_server.is_empty()
    }
}
