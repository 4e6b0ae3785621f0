//! Update planning, table-driven, and whole plans with the default extensions.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::Item;
use crate::expr::{Path, SetValue, UpdateAction, UpdateValue};
use crate::extension::{AtomicCounters, Extension, VersionedRecords};

#[derive(Item)]
#[item(table = "plans")]
struct Doc {
    #[partition_key]
    id: String,
    #[sort_key]
    at: u64,
    title: Option<String>,
    #[update_behavior(write_if_not_exists)]
    created_by: Option<String>,
    #[version]
    version: Option<u64>,
    #[atomic_counter(start = 10, inc = 2)]
    views: i64,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

/// What the planner did with one attribute.
#[derive(Debug, PartialEq)]
enum Planned {
    Set,
    SetIfNotExists,
    Remove,
    Untouched,
}

fn planned(update: &UpdateExpression, name: &str) -> Planned {
    match update.action(&Path::attr(name)) {
        None => Planned::Untouched,
        Some(UpdateAction::Set(_, SetValue::Operand(UpdateValue::IfNotExists(..)))) => Planned::SetIfNotExists,
        Some(UpdateAction::Set(..)) => Planned::Set,
        Some(UpdateAction::Remove(_)) => Planned::Remove,
        Some(other) => panic!("unexpected action {other:?}"),
    }
}

#[test]
fn update_planning_covers_every_combination() {
    use Planned::*;
    // (attribute, present in the item, remove absent (= !ignore_nulls), expected)
    let cases: &[(&str, bool, bool, Planned)] = &[
        // write_always
        ("title", true, true, Set),
        ("title", true, false, Set),
        ("title", false, true, Remove),
        ("title", false, false, Untouched),
        // write_if_not_exists: never removed
        ("created_by", true, true, SetIfNotExists),
        ("created_by", true, false, SetIfNotExists),
        ("created_by", false, true, Untouched),
        ("created_by", false, false, Untouched),
        // keys: never set nor removed (they address the item)
        ("id", true, true, Untouched),
        ("id", false, true, Untouched),
        ("at", true, false, Untouched),
        // added by an extension (not declared): set as it is
        ("checksum", true, true, Set),
        ("checksum", true, false, Set),
        ("checksum", false, true, Untouched),
    ];
    for (name, present, remove_absent, expected) in cases {
        let mut item = ItemMap::new();
        if *present {
            item.insert((*name).to_owned(), s("x"));
        }
        let mut update = UpdateExpression::new();
        update::plan(Doc::TABLE, item, &mut update, *remove_absent);
        assert_eq!(
            &planned(&update, name),
            expected,
            "{name}: present {present}, remove absent {remove_absent}"
        );
    }
}

#[test]
fn an_action_already_there_wins() {
    for (present, remove_absent) in [(true, true), (false, true), (true, false)] {
        let mut item = ItemMap::new();
        if present {
            item.insert("title".into(), s("from the item"));
        }
        let mut update = UpdateExpression::new();
        update.set("title", UpdateValue::Value(s("from an extension")));
        update::plan(Doc::TABLE, item, &mut update, remove_absent);
        // With removal on, the absent `version` and `views` are removed too (not `created_by`).
        assert_eq!(
            update.len(),
            if remove_absent { 3 } else { 1 },
            "{:?}",
            update.actions()
        );
        assert_eq!(
            update.action(&Path::attr("title")),
            Some(&UpdateAction::Set(
                Path::attr("title"),
                UpdateValue::Value(s("from an extension")).into()
            ))
        );
    }
}

fn chain() -> Chain {
    let extensions: Vec<Arc<dyn Extension>> = vec![Arc::new(VersionedRecords), Arc::new(AtomicCounters)];
    Chain::new(extensions)
}

fn key() -> ItemMap {
    HashMap::from([("id".to_owned(), s("d")), ("at".to_owned(), n("1"))])
}

/// The update text with placeholders replaced by names and values, for reading.
fn readable(plan: &WritePlan) -> (String, String) {
    let mut texts = [
        match &plan.action {
            Action::Update { expression, .. } => expression.clone().unwrap_or_default(),
            _ => String::new(),
        },
        plan.condition.clone().unwrap_or_default(),
    ];
    for text in &mut texts {
        let mut names: Vec<_> = plan.names.iter().flatten().collect();
        names.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        for (placeholder, name) in names {
            *text = text.replace(placeholder.as_str(), name);
        }
        let mut values: Vec<_> = plan.values.iter().flatten().collect();
        values.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        for (placeholder, value) in values {
            let shown = match value {
                AttributeValue::N(v) | AttributeValue::S(v) => v.clone(),
                other => format!("{other:?}"),
            };
            *text = text.replace(placeholder.as_str(), &shown);
        }
    }
    let [update, condition] = texts;
    (update, condition)
}

#[test]
fn a_patch_with_the_version_read_is_checked_and_counts() {
    let mut key = key();
    key.insert("version".into(), n("4"));
    let mut actions = UpdateExpression::new();
    actions.set("title", UpdateValue::Value(s("new")));
    let write = Write::single(WriteKind::Patch { key, actions }, None);
    let plan = prepare(&chain(), Doc::TABLE, "plans", write).unwrap();
    let (update, condition) = readable(&plan);
    assert_eq!(
        update,
        "SET title = new, views = if_not_exists(views, 8) + 2, version = 5"
    );
    assert_eq!(condition, "version = 4");
    let Action::Update { key, .. } = &plan.action else {
        panic!()
    };
    assert_eq!(key, &self::key());
}

#[test]
fn a_patch_without_the_version_moves_it_on_unchecked() {
    let write = Write::single(
        WriteKind::Patch {
            key: key(),
            actions: UpdateExpression::new(),
        },
        None,
    );
    let plan = prepare(&chain(), Doc::TABLE, "plans", write).unwrap();
    let (update, condition) = readable(&plan);
    assert_eq!(
        update,
        "SET version = if_not_exists(version, -1) + 1, views = if_not_exists(views, 8) + 2"
    );
    assert_eq!(condition, "");
    assert!(plan.condition.is_none());
}

#[test]
fn a_patch_that_writes_the_counter_keeps_its_own_action() {
    let mut actions = UpdateExpression::new();
    actions.set("views", UpdateValue::Value(n("0")));
    let write = Write::single(WriteKind::Patch { key: key(), actions }, None);
    let plan = prepare(&chain(), Doc::TABLE, "plans", write).unwrap();
    let (update, _) = readable(&plan);
    assert_eq!(update, "SET views = 0, version = if_not_exists(version, -1) + 1");
}

#[test]
fn a_whole_item_update_of_a_new_item() {
    let doc = Doc {
        id: "d".into(),
        at: 1,
        title: None,
        created_by: Some("ana".into()),
        version: None,
        views: 99,
    };
    let write = Write::single(
        WriteKind::Update {
            item: doc.to_item().unwrap(),
            ignore_nulls: false,
        },
        None,
    );
    let plan = prepare(&chain(), Doc::TABLE, "plans", write).unwrap();
    let (update, condition) = readable(&plan);
    assert_eq!(
        update,
        "SET views = if_not_exists(views, 8) + 2, created_by = if_not_exists(created_by, ana), version = 0 REMOVE title"
    );
    assert_eq!(
        condition,
        "attribute_not_exists(version) OR attribute_type(version, NULL)"
    );
}

#[test]
fn a_batch_put_of_a_versioned_item_needs_the_opt_out() {
    let doc = Doc {
        id: "d".into(),
        at: 1,
        title: None,
        created_by: None,
        version: Some(3),
        views: 0,
    };
    let batch = |skip_version_check| Write {
        kind: WriteKind::Put(doc.to_item().unwrap()),
        condition: None,
        mode: WriteMode::Batch,
        skip_version_check,
    };
    let err = prepare(&chain(), Doc::TABLE, "plans", batch(false)).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::VersionedBatch);
    assert!(err.to_string().contains("`Doc.version`"), "{err}");
    let plan = prepare(&chain(), Doc::TABLE, "plans", batch(true)).unwrap();
    assert!(plan.condition.is_none() && plan.names.is_none() && plan.values.is_none());
    let Action::Put { item } = &plan.action else { panic!() };
    assert_eq!(item["version"], n("4"));
    assert_eq!(item["views"], n("10"));
}

#[test]
fn a_condition_check_takes_only_the_callers_condition() {
    let check = |condition: Option<Condition>| {
        let mut key = key();
        key.insert("version".into(), n("2"));
        prepare(
            &chain(),
            Doc::TABLE,
            "plans",
            Write::single(WriteKind::ConditionCheck(key), condition),
        )
    };
    let err = check(None).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::InvalidArgument);
    let plan = check(Some(Condition::attr("title").exists())).unwrap();
    assert_eq!(readable(&plan).1, "attribute_exists(title)");
    let Action::ConditionCheck { key } = &plan.action else {
        panic!()
    };
    assert_eq!(key, &self::key());
}

#[test]
fn keys_are_checked_before_anything_is_sent() {
    let mut item = Doc {
        id: String::new(),
        at: 1,
        title: None,
        created_by: None,
        version: None,
        views: 0,
    }
    .to_item()
    .unwrap();
    let put = |item: ItemMap| prepare(&chain(), Doc::TABLE, "plans", Write::single(WriteKind::Put(item), None));
    let kind = |r: Result<WritePlan, Error>| r.unwrap_err().as_refusal().unwrap().kind();
    assert_eq!(kind(put(item.clone())), RefusalKind::EmptyKeyValue);
    item.insert("id".into(), s(&"k".repeat(2049)));
    assert_eq!(kind(put(item.clone())), RefusalKind::KeyTooLarge);
    item.insert("id".into(), n("1"));
    assert_eq!(kind(put(item.clone())), RefusalKind::InvalidKey);
    item.remove("at");
    item.insert("id".into(), s("k"));
    assert_eq!(kind(put(item.clone())), RefusalKind::InvalidKey);
    item.insert("at".into(), n("1"));
    item.insert("title".into(), s(&"t".repeat(crate::limits::MAX_ITEM_SIZE)));
    assert_eq!(kind(put(item)), RefusalKind::ItemTooLarge);
}

#[test]
fn a_long_condition_is_refused() {
    let long = Condition::attr("a".repeat(crate::limits::MAX_EXPRESSION_SIZE)).exists();
    let write = Write::single(WriteKind::Delete(key()), Some(long));
    // Names go through placeholders, so only the values and the text's shape count: a
    // condition of many clauses is what grows the text.
    prepare(&chain(), Doc::TABLE, "plans", write).unwrap();
    let many = Condition::all((0..400).map(|i| Condition::attr(format!("a{i}")).exists())).unwrap();
    let write = Write::single(WriteKind::Delete(key()), Some(many));
    let err = prepare(&chain(), Doc::TABLE, "plans", write).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::ExpressionTooLarge);
}
