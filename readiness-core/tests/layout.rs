//! The crate's layout holds: no import cycle between its modules, and the engine never imports
//! from `__private` (which only re-exports for generated code). Read from the source itself, so
//! a change that adds a cycle fails here rather than in a reader's head.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its module path (`runner::cache`, `checks::host`).
fn modules() -> Vec<(String, String)> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|last| last == "mod") {
                parts.pop();
            }
            let module = parts.join("::");
            // Code only: doc comments and comments may name any path.
            let code: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (module != "lib").then_some((module, code))
        })
        .collect()
}

/// The module paths `code` names after `prefix` (`crate::`, `super::`), grouped imports
/// (`crate::{a::X, b::Y}`) included.
fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let first_segment = |text: &'a str| {
        let text = text.trim_start();
        let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
        &text[..end]
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').map(first_segment));
            }
            None => names.push(first_segment(rest)),
        }
    }
    names.retain(|name| !name.is_empty());
    names
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in modules() {
        let top = module.split("::").next().unwrap().to_owned();
        if top == "__private" {
            continue;
        }
        let entry = graph.entry(top.clone()).or_default();
        for named in named_after(&code, "crate::") {
            if named != top {
                entry.insert(named.to_owned());
            }
        }
    }
    assert!(graph.contains_key("runner") && graph["builder"].contains("plan"), "{graph:#?}");
    assert_eq!(find_cycle(&graph), None, "{graph:#?}");
}

#[test]
fn sibling_modules_of_each_folder_import_each_other_without_a_cycle() {
    let mut folders: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, code) in modules() {
        let Some((parent, child)) = module.rsplit_once("::") else { continue };
        let siblings = folders.entry(parent.to_owned()).or_default();
        let entry = siblings.entry(child.to_owned()).or_default();
        let through_crate = format!("crate::{parent}::");
        for named in named_after(&code, "super::").into_iter().chain(named_after(&code, &through_crate)) {
            if named != child {
                entry.insert(named.to_owned());
            }
        }
    }
    assert!(folders.contains_key("runner") && folders.contains_key("masking"), "{folders:#?}");
    for (folder, graph) in &folders {
        // Names that are no sibling module (items of the parent) cannot close a cycle.
        assert_eq!(find_cycle(graph), None, "in `{folder}`: {graph:#?}");
    }
}

#[test]
fn only_generated_code_goes_through_private() {
    let users: Vec<String> = modules()
        .into_iter()
        .filter(|(module, code)| module != "__private" && code.contains("__private"))
        .map(|(module, _)| module)
        .collect();
    assert!(users.is_empty(), "the engine imports from __private in {users:?}");
}
