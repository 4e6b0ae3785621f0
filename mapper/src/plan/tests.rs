//! Update planning, table-driven, and whole plans with the default extensions.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::Item;
use crate::expr::{Path, SetValue, UpdateAction, UpdateValue};
use crate::extension::{AtomicCounters, Expectation, Extension, VersionedRecords};

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
fn actions_follow_the_declaration_then_the_names_of_added_attributes() {
    // Several runs: an item map's order differs from one map to the next.
    for _ in 0..8 {
        for remove_absent in [true, false] {
            let item = HashMap::from([
                ("zeta".to_owned(), s("added")),
                ("version".to_owned(), n("3")),
                ("alpha".to_owned(), s("added")),
                ("title".to_owned(), s("t")),
                ("id".to_owned(), s("key")),
            ]);
            let mut update = UpdateExpression::new();
            update::plan(Doc::TABLE, item, &mut update, remove_absent);
            let written: Vec<String> = update
                .actions()
                .iter()
                .filter(|a| matches!(a, UpdateAction::Set(..)))
                .map(|a| a.path().root().to_owned())
                .collect();
            assert_eq!(
                written,
                ["title", "version", "alpha", "zeta"],
                "remove absent {remove_absent}"
            );
        }
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

/// A single write on the `plans` table.
fn write(chain: &Chain) -> Write<'_> {
    Write::new(chain, Doc::TABLE, "plans")
}

fn key() -> ItemMap {
    HashMap::from([("id".to_owned(), s("d")), ("at".to_owned(), n("1"))])
}

/// The update text with placeholders replaced by names and values, for reading.
fn readable<R: Expressed>(plan: &Plan<R>) -> (String, String) {
    let mut texts = [
        plan.request.expression().unwrap_or_default().to_owned(),
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
    let chain = chain();
    let plan = write(&chain).patch(key, actions, PatchMode::Existing).unwrap();
    let (update, condition) = readable(&plan);
    assert_eq!(
        update,
        "SET title = new, views = if_not_exists(views, 8) + 2, version = 5"
    );
    assert_eq!(condition, "version = 4 AND attribute_exists(id)");
    assert!(plan.requires_item);
    assert_eq!(plan.request.key, self::key());
    // The version extension recorded what it expects.
    assert_eq!(
        plan.expected,
        [Expectation {
            name: "version".into(),
            value: Some(n("4"))
        }]
    );
}

#[test]
fn a_patch_without_the_version_moves_it_on_unchecked() {
    let chain = chain();
    let plan = write(&chain)
        .patch(key(), UpdateExpression::new(), PatchMode::Existing)
        .unwrap();
    let (update, condition) = readable(&plan);
    assert_eq!(
        update,
        "SET version = if_not_exists(version, -1) + 1, views = if_not_exists(views, 8) + 2"
    );
    assert_eq!(condition, "attribute_exists(id)", "only that the item is stored");
    assert!(
        plan.expected.is_empty(),
        "nothing is expected: the version moves on unchecked"
    );
}

#[test]
fn a_patch_that_writes_the_counter_keeps_its_own_action() {
    let mut actions = UpdateExpression::new();
    actions.set("views", UpdateValue::Value(n("0")));
    let chain = chain();
    let plan = write(&chain).patch(key(), actions, PatchMode::Existing).unwrap();
    let (update, _) = readable(&plan);
    assert_eq!(update, "SET views = 0, version = if_not_exists(version, -1) + 1");
}

fn decodes_as_doc(item: ItemMap) -> Result<(), ConvertError> {
    Doc::from_item(item).map(drop)
}

#[test]
fn an_upsert_creates_only_an_item_that_reads() {
    let chain = chain();
    let upsert = PatchMode::Upsert {
        decodes: decodes_as_doc,
    };
    // The extensions write the version and the counter; every other attribute of `Doc` is
    // optional: a creation reads.
    let plan = write(&chain).patch(key(), UpdateExpression::new(), upsert).unwrap();
    assert!(plan.condition.is_none(), "no existence check");
    assert!(!plan.requires_item);
    // Without the extensions, the counter is missing: refused, naming it.
    let bare = Chain::new(Vec::new());
    let err = write(&bare).patch(key(), UpdateExpression::new(), upsert).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::IncompleteUpsert);
    assert!(err.to_string().contains("views"), "{err}");
    // A value of the wrong type for a field is refused too.
    let mut actions = UpdateExpression::new();
    actions.set("views", UpdateValue::Value(s("many")));
    let err = write(&bare).patch(key(), actions, upsert).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::IncompleteUpsert, "{err}");
    // The item a creation stores: the key, what each top-level action writes into nothing.
    let mut actions = UpdateExpression::new();
    actions.set("title", UpdateValue::if_not_exists("title", UpdateValue::Value(s("t"))));
    actions.add("views", n("3"));
    actions.set(Path::attr("meta").field("x"), UpdateValue::Value(s("ignored")));
    actions.remove("created_by");
    let created = update::created_item(Doc::TABLE, &key(), actions.actions());
    assert_eq!(
        created,
        HashMap::from([
            ("id".to_owned(), s("d")),
            ("at".to_owned(), n("1")),
            ("title".to_owned(), s("t")),
            ("views".to_owned(), n("3")),
        ])
    );
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
    let chain = chain();
    let plan = write(&chain).update(doc.to_item().unwrap(), false).unwrap();
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
    let chain = chain();
    let batch = |skip_version_check| write(&chain).in_batch(skip_version_check).put(doc.to_item().unwrap());
    let err = batch(false).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::VersionedBatch);
    assert!(err.to_string().contains("`Doc.version`"), "{err}");
    let plan = batch(true).unwrap();
    assert!(plan.condition.is_none() && plan.names.is_none() && plan.values.is_none());
    let item = &plan.request.item;
    assert_eq!(item["version"], n("4"));
    assert_eq!(item["views"], n("10"));
}

#[test]
fn a_condition_check_takes_only_the_callers_condition() {
    let chain = chain();
    let check = |condition: Option<Condition>| {
        let mut key = key();
        key.insert("version".into(), n("2"));
        write(&chain).condition(condition).in_transaction().check(key)
    };
    let err = check(None).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::InvalidArgument);
    let plan = check(Some(Condition::attr("title").exists())).unwrap();
    assert_eq!(readable(&plan).1, "attribute_exists(title)");
    assert_eq!(plan.request.key, self::key());
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
    let chain = chain();
    let put = |item: ItemMap| write(&chain).put(item);
    let kind = |r: Result<Plan<PutRequest>, Error>| r.unwrap_err().as_refusal().unwrap().kind();
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
    let chain = chain();
    // Names go through placeholders, so only the values and the text's shape count: a
    // condition of many clauses is what grows the text.
    write(&chain).condition(Some(long)).delete(key(), false).unwrap();
    let many = Condition::all((0..400).map(|i| Condition::attr(format!("a{i}")).exists())).unwrap();
    let err = write(&chain).condition(Some(many)).delete(key(), false).unwrap_err();
    assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::ExpressionTooLarge);
}

#[test]
fn a_transaction_keeps_what_it_knows_it_stores() {
    let chain = chain();
    let doc = Doc {
        id: "d".into(),
        at: 1,
        title: Some("t".into()),
        created_by: Some("ana".into()),
        version: Some(2),
        views: 99,
    };
    // A put stores its item exactly, as the extensions left it.
    let plan = write(&chain).in_transaction().put(doc.to_item().unwrap()).unwrap();
    let known = plan.known.unwrap();
    assert!(known.is_whole());
    assert_eq!(known.attributes, plan.request.item);
    assert_eq!(known.attributes["version"], n("3"));
    // An update knows its plain values; the counter and the created-by are the server's.
    let plan = write(&chain)
        .in_transaction()
        .update(doc.to_item().unwrap(), false)
        .unwrap();
    let known = plan.known.unwrap();
    assert!(!known.is_whole() && !known.others_kept);
    assert_eq!(known.attributes["version"], n("3"));
    assert_eq!(known.attributes["title"], s("t"));
    assert!(!known.attributes.contains_key("views"));
    let mut decided = known.decided_by_server.clone();
    decided.sort();
    assert_eq!(decided, ["created_by", "views"]);
    // A patch leaves the rest as stored, unknown; a single write keeps nothing.
    let plan = write(&chain)
        .in_transaction()
        .patch(key(), UpdateExpression::new(), PatchMode::Existing)
        .unwrap();
    assert!(plan.known.unwrap().others_kept);
    assert!(write(&chain).put(doc.to_item().unwrap()).unwrap().known.is_none());
}

/// The bytes of a plan's texts and placeholder names, as a transaction counts them.
fn texts_and_names<R: Expressed>(plan: &Plan<R>) -> usize {
    let names: usize = plan.names.iter().flatten().map(|(p, name)| p.len() + name.len()).sum();
    names + plan.request.expression().map_or(0, str::len) + plan.condition.as_ref().map_or(0, String::len)
}

/// The bytes of the plan's values with these placeholders (all of them by default).
fn values_size<R>(plan: &Plan<R>, only: Option<&[&str]>) -> usize {
    let values = plan.values.iter().flatten();
    values
        .filter(|(p, _)| only.is_none_or(|only| only.contains(&p.as_str())))
        .map(|(p, value)| p.len() + limits::value_size(value))
        .sum()
}

#[test]
fn a_transaction_counts_each_write_once_toward_its_size() {
    let chain = chain();
    let doc = Doc {
        id: "d".into(),
        at: 1,
        title: Some("t".repeat(300)),
        created_by: Some("ana".into()),
        version: Some(2),
        views: 99,
    };

    // A put: its item, and its condition's values (the version read).
    let plan = write(&chain).in_transaction().put(doc.to_item().unwrap()).unwrap();
    let expected = limits::item_size(&plan.request.item) + values_size(&plan, None) + texts_and_names(&plan);
    assert_eq!(plan.transaction_size, expected);

    // The update of the whole item: the item as checked (the counter is the server's, the
    // version the next one), and of the values sent the counter's action's and the
    // condition's: the item's own are sent in the update expression, and not counted twice.
    let plan = write(&chain)
        .in_transaction()
        .update(doc.to_item().unwrap(), false)
        .unwrap();
    let mut item = doc.to_item().unwrap();
    item.remove("views");
    item.insert("version".into(), n("3"));
    let condition = plan.condition.clone().unwrap();
    let condition_values: Vec<&str> = crate::expr::placeholder_tokens(&condition)
        .filter(|token| token.starts_with(':'))
        .collect();
    assert!(!condition_values.is_empty());
    // `SET views = if_not_exists(views, 8) + 2`
    let counter = limits::value_size(&n("8")) + limits::value_size(&n("2"));
    let expected =
        limits::item_size(&item) + counter + values_size(&plan, Some(&condition_values)) + texts_and_names(&plan);
    assert_eq!(plan.transaction_size, expected);
    assert!(values_size(&plan, None) > 300, "the title is sent once");
    assert!(plan.transaction_size < limits::item_size(&item) + values_size(&plan, None));

    // A patch: its key and every value it sends.
    let mut actions = UpdateExpression::new();
    actions.set("title", UpdateValue::Value(s(&"p".repeat(200))));
    let plan = write(&chain)
        .in_transaction()
        .patch(key(), actions, PatchMode::Existing)
        .unwrap();
    assert!(values_size(&plan, None) > 200);
    let expected = limits::item_size(&key()) + values_size(&plan, None) + texts_and_names(&plan);
    assert_eq!(plan.transaction_size, expected);

    // An extension's own action is counted whatever it sends.
    struct Audit;
    impl Extension for Audit {
        fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
            if let Some(update) = cx.update() {
                update.set("audit", UpdateValue::Value(s(&"a".repeat(1000))));
            }
            Ok(())
        }
    }
    let audited = Chain::new(vec![Arc::new(Audit) as Arc<dyn Extension>]);
    let plan = write(&audited)
        .in_transaction()
        .update(doc.to_item().unwrap(), false)
        .unwrap();
    assert!(plan.transaction_size > limits::item_size(&doc.to_item().unwrap()) + 1000);

    // A single write measures nothing.
    assert_eq!(write(&chain).put(doc.to_item().unwrap()).unwrap().transaction_size, 0);
}
