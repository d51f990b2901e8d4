//! The engine: for each file, run every applicable invariant (parsing at most once, and only
//! when the prefilter says a rule can match), then apply waivers.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use ast_grep_core::matcher::MatcherExt;
use ast_grep_core::tree_sitter::StrDoc;
use ast_grep_core::{AstGrep, Node};
use ast_grep_language::SupportLang;

use super::finding::{Finding, Fix};
use super::lang::Lang;
use super::prefilter::Prefilter;
use super::source::LineIndex;
use super::source::{Hit, SourceFile};
use super::waiver::{self, WaiverHygiene};
use super::{diff, imports, paths, rust};
use crate::policy::{Check, Invariant, Policy, PolicyError, Severity};

/// Limits and settings of a run.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Files larger than this (bytes) are skipped with a reason.
    pub max_file_size: u64,
    /// The shortest accepted waiver reason, in chars.
    pub min_waiver_reason: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            max_file_size: 2 * 1024 * 1024,
            min_waiver_reason: 10,
        }
    }
}

/// What the engine did with one file.
#[derive(Debug, Clone, Default)]
pub struct FileOutcome {
    /// Findings, sorted by position then rule, waivers applied.
    pub findings: Vec<Finding>,
    /// Why the file was not analysed, if it was not.
    pub skipped: Option<String>,
    /// Whether the file was parsed (false when the prefilter ruled every pattern out).
    pub parsed: bool,
    /// Rules that could not run on this file, and why (e.g. nesting beyond a parser's limit).
    pub notes: Vec<String>,
}

/// tree-sitter's query cursor tracks match depth in 16 bits: deeper trees give wrong results.
const MAX_QUERY_DEPTH: usize = 65_000;

/// The rules of one language that need a syntax tree.
#[derive(Default)]
struct LangRules {
    patterns: Vec<usize>,
    queries: Vec<usize>,
    prefilter: Option<Prefilter>,
}

pub struct Engine {
    invariants: Vec<Invariant>,
    by_lang: HashMap<Lang, LangRules>,
    /// imports/paths/diff/rust invariants: they read the text, not the tree.
    textual: Vec<usize>,
    invalid_waiver: Option<usize>,
    unused_waiver: Option<usize>,
    /// Ids of invariants that may not be waived (`metadata.waivable: false`, and the hygiene ones).
    not_waivable: HashSet<String>,
    options: EngineOptions,
}

impl Engine {
    /// An engine for the enabled invariants of `policy` (severity `off` ones are dropped).
    pub fn new(policy: &Policy) -> Result<Engine, PolicyError> {
        Engine::with_options(policy, EngineOptions::default())
    }

    pub fn with_options(policy: &Policy, options: EngineOptions) -> Result<Engine, PolicyError> {
        Engine::from_invariants(policy.enabled().cloned().collect(), options)
    }

    /// An engine for exactly these invariants (e.g. one rule, for `aigate rules test`).
    pub fn from_invariants(invariants: Vec<Invariant>, options: EngineOptions) -> Result<Engine, PolicyError> {
        let invariants: Vec<Invariant> = invariants.into_iter().filter(|i| i.severity != Severity::Off).collect();
        let mut by_lang: HashMap<Lang, LangRules> = HashMap::new();
        let mut textual = Vec::new();
        let (mut invalid_waiver, mut unused_waiver) = (None, None);
        for (i, inv) in invariants.iter().enumerate() {
            match inv.check.as_ref() {
                Check::Pattern(_) => by_lang
                    .entry(inv.language.unwrap_or(Lang::Rust))
                    .or_default()
                    .patterns
                    .push(i),
                Check::Query(_) => by_lang
                    .entry(inv.language.unwrap_or(Lang::Rust))
                    .or_default()
                    .queries
                    .push(i),
                Check::Waiver(WaiverHygiene::Invalid) => invalid_waiver = invalid_waiver.or(Some(i)),
                Check::Waiver(WaiverHygiene::Unused) => unused_waiver = unused_waiver.or(Some(i)),
                Check::Imports(_) | Check::Paths(_) | Check::Diff(_) | Check::Rust(_) => textual.push(i),
            }
        }
        for rules in by_lang.values_mut() {
            let needs = rules
                .patterns
                .iter()
                .filter_map(|&i| match invariants[i].check.as_ref() {
                    Check::Pattern(p) => Some(&p.need),
                    _ => None,
                });
            rules.prefilter = Some(Prefilter::new(needs).map_err(PolicyError::Engine)?);
        }
        let not_waivable = invariants
            .iter()
            .filter(|i| !i.metadata.waivable || matches!(i.check.as_ref(), Check::Waiver(_)))
            .map(|i| i.id.clone())
            .collect();
        Ok(Engine {
            invariants,
            by_lang,
            textual,
            invalid_waiver,
            unused_waiver,
            not_waivable,
            options,
        })
    }

    pub fn invariants(&self) -> &[Invariant] {
        &self.invariants
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Whether any invariant can apply to a file at `path` (relative) in `lang`: files no
    /// invariant covers need not even be read.
    pub fn is_relevant(&self, path: &str, lang: Option<Lang>) -> bool {
        let tree_rules = lang.and_then(|l| self.by_lang.get(&l)).is_some_and(|rules| {
            rules
                .patterns
                .iter()
                .chain(&rules.queries)
                .any(|&i| self.invariants[i].applies_to_path(path))
        });
        // Waivers are looked for in every source file: a stray one is itself a finding.
        let hygiene = lang.is_some()
            && [self.invalid_waiver, self.unused_waiver]
                .iter()
                .flatten()
                .any(|&i| self.invariants[i].applies_to_path(path));
        tree_rules
            || hygiene
            || self.textual.iter().any(|&i| {
                let inv = &self.invariants[i];
                inv.language.is_none_or(|l| Some(l) == lang) && inv.applies_to_path(path)
            })
    }

    /// The findings of one file (at head; `base` is the file at the change's base, if any),
    /// waivers applied. A file the engine cannot analyse yields no findings (see [`Engine::analyse`]).
    pub fn check_file(&self, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Finding> {
        self.analyse(head, base).findings
    }

    /// Like [`Engine::check_file`], also saying whether and why the file was skipped or parsed.
    pub fn analyse(&self, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> FileOutcome {
        self.analyse_with(head, base, true)
    }

    fn analyse_with(&self, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>, prefilter: bool) -> FileOutcome {
        if head.text.len() as u64 > self.options.max_file_size {
            return FileOutcome {
                skipped: Some(format!(
                    "larger than the size limit ({} bytes > {} bytes)",
                    head.text.len(),
                    self.options.max_file_size
                )),
                ..FileOutcome::default()
            };
        }
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut parsed = false;
        if let Some(lang) = head.lang
            && let Some(rules) = self.by_lang.get(&lang)
            && !head.text.is_empty()
        {
            parsed = self.run_tree_rules(lang, rules, head, &mut findings, &mut notes, prefilter);
        }
        let mut nesting: Option<usize> = None;
        for &i in &self.textual {
            let inv = &self.invariants[i];
            if inv.language.is_some_and(|l| Some(l) != head.lang) || !inv.applies_to_path(head.path) {
                continue;
            }
            if matches!(inv.check.as_ref(), Check::Rust(_)) && head.lang == Some(Lang::Rust) {
                let depth = *nesting
                    .get_or_insert_with(|| rust::nesting(head.text).max(base.map_or(0, |b| rust::nesting(b.text))));
                if depth > rust::MAX_NESTING {
                    notes.push(format!(
                        "`{}` not run: brackets nest {depth} deep (more than {})",
                        inv.id,
                        rust::MAX_NESTING
                    ));
                    continue;
                }
            }
            let hits = match inv.check.as_ref() {
                Check::Imports(spec) => imports::check(spec, head, base),
                Check::Paths(spec) => paths::check(spec, head, base),
                Check::Diff(spec) => diff::check(spec, head, base),
                Check::Rust(spec) => rust::check(spec, head, base),
                _ => Vec::new(),
            };
            findings.extend(hits.into_iter().map(|hit| self.finding_of_hit(inv, head.path, hit)));
        }
        self.apply_waivers(head, &mut findings);
        findings.sort_by(|a, b| (a.start, a.end, &a.rule_id).cmp(&(b.start, b.end, &b.rule_id)));
        FileOutcome {
            findings,
            skipped: None,
            parsed,
            notes,
        }
    }

    /// Runs the pattern and query rules of `lang` on `head`; returns whether it parsed.
    fn run_tree_rules(
        &self,
        lang: Lang,
        rules: &LangRules,
        head: &SourceFile<'_>,
        out: &mut Vec<Finding>,
        notes: &mut Vec<String>,
        use_prefilter: bool,
    ) -> bool {
        let applicable = |i: &&usize| self.invariants[**i].applies_to_path(head.path);
        let mut patterns: Vec<usize> = rules.patterns.iter().filter(applicable).copied().collect();
        let queries: Vec<usize> = rules.queries.iter().filter(applicable).copied().collect();
        if use_prefilter
            && !patterns.is_empty()
            && let Some(prefilter) = &rules.prefilter
        {
            let present = prefilter.scan(head.text);
            patterns.retain(|&i| match self.invariants[i].check.as_ref() {
                Check::Pattern(p) => present.allows(&p.need),
                _ => true,
            });
        }
        if patterns.is_empty() && queries.is_empty() {
            return false;
        }
        let Ok(root) = AstGrep::<StrDoc<SupportLang>>::try_new(head.text, lang.ast_grep()) else {
            return false;
        };
        let index = LineIndex::new(head.text);
        self.run_patterns(&root, &patterns, head, &index, out);
        if !queries.is_empty() {
            let depth = tree_depth(root.root().get_inner_node());
            if depth > MAX_QUERY_DEPTH {
                for &i in &queries {
                    notes.push(format!(
                        "`{}` not run: the syntax tree is {depth} levels deep (tree-sitter queries handle {MAX_QUERY_DEPTH})",
                        self.invariants[i].id
                    ));
                }
                return true;
            }
        }
        for &i in &queries {
            let inv = &self.invariants[i];
            if let Check::Query(q) = inv.check.as_ref() {
                for range in q.run(root.root().get_inner_node(), head.text) {
                    out.push(self.finding_at(inv, head.path, &index, range, None, None));
                }
            }
        }
        true
    }

    /// One traversal for all pattern rules: each node is offered only to the rules whose
    /// potential kinds include the node's kind (as ast-grep's `CombinedScan`). Unlike
    /// `CombinedScan`, `ast-grep-ignore` comments are not honoured: the only exemption from an
    /// invariant is an aigate waiver, which must give a reason.
    fn run_patterns(
        &self,
        root: &AstGrep<StrDoc<SupportLang>>,
        patterns: &[usize],
        head: &SourceFile<'_>,
        index: &LineIndex<'_>,
        out: &mut Vec<Finding>,
    ) {
        if patterns.is_empty() {
            return;
        }
        let mut by_kind: Vec<Vec<usize>> = Vec::new();
        for &i in patterns {
            if let Check::Pattern(p) = self.invariants[i].check.as_ref() {
                for &k in &p.kinds {
                    let k = k as usize;
                    if by_kind.len() <= k {
                        by_kind.resize_with(k + 1, Vec::new);
                    }
                    by_kind[k].push(i);
                }
            }
        }
        for node in root.root().dfs() {
            let Some(candidates) = by_kind.get(node.kind_id() as usize) else {
                continue;
            };
            for &i in candidates {
                let inv = &self.invariants[i];
                let Check::Pattern(p) = inv.check.as_ref() else {
                    continue;
                };
                let Some(nm) = p.rule.matcher.match_node(node.clone()) else {
                    continue;
                };
                let message = p.rule.get_message(&nm);
                let fix = p.rule.fixer.first().map(|fixer| {
                    let edit = nm.make_edit(&p.rule.matcher, fixer);
                    Fix {
                        start: index.position(edit.position),
                        end: index.position(edit.position + edit.deleted_length),
                        replacement: String::from_utf8_lossy(&edit.inserted_text).into_owned(),
                    }
                });
                let node: &Node<'_, StrDoc<SupportLang>> = nm.get_node();
                out.push(self.finding_at(inv, head.path, index, node.range(), Some(message), fix));
            }
        }
    }

    fn finding_at(
        &self,
        inv: &Invariant,
        path: &str,
        index: &LineIndex<'_>,
        range: Range<usize>,
        message: Option<String>,
        fix: Option<Fix>,
    ) -> Finding {
        Finding {
            rule_id: inv.id.clone(),
            severity: inv.severity,
            message: message.unwrap_or_else(|| inv.message.clone()),
            path: path.to_string(),
            start: index.position(range.start),
            end: index.position(range.end),
            waived: None,
            fix,
        }
    }

    fn finding_of_hit(&self, inv: &Invariant, path: &str, hit: Hit) -> Finding {
        Finding {
            rule_id: inv.id.clone(),
            severity: inv.severity,
            message: with_detail(&inv.message, hit.detail.as_deref()),
            path: path.to_string(),
            start: hit.start,
            end: hit.end,
            waived: None,
            fix: None,
        }
    }

    fn apply_waivers(&self, head: &SourceFile<'_>, findings: &mut Vec<Finding>) {
        let mut waivers = waiver::parse(head.text, head.lang);
        if waivers.is_empty() {
            return;
        }
        // Confirm with the syntax tree that each marker is in a comment, not in a string
        // literal (files with markers are rare, so this extra parse costs little).
        if let Some(lang) = head.lang
            && let Ok(root) = AstGrep::<StrDoc<SupportLang>>::try_new(head.text, lang.ast_grep())
        {
            let tree = root.root().get_inner_node();
            waivers.retain(|w| in_comment(tree, w.offset));
        }
        let waivable = |id: &str| !self.not_waivable.contains(id);
        let problems = waiver::apply(findings, &waivers, &waivable, self.options.min_waiver_reason);
        for problem in problems {
            let slot = match problem.kind {
                WaiverHygiene::Invalid => self.invalid_waiver,
                WaiverHygiene::Unused => self.unused_waiver,
            };
            let Some(inv) = slot.map(|i| &self.invariants[i]) else {
                continue;
            };
            if !inv.applies_to_path(head.path) {
                continue;
            }
            findings.push(Finding {
                rule_id: inv.id.clone(),
                severity: inv.severity,
                message: with_detail(&inv.message, Some(&problem.detail)),
                path: head.path.to_string(),
                start: problem.start,
                end: problem.end,
                waived: None,
                fix: None,
            });
        }
    }
}

/// Whether byte `offset` lies in a comment node of the tree.
fn in_comment(root: tree_sitter::Node<'_>, offset: usize) -> bool {
    let mut node = root.descendant_for_byte_range(offset, offset + 1);
    while let Some(n) = node {
        if n.kind().contains("comment") {
            return true;
        }
        node = n.parent();
    }
    false
}

/// The depth of a syntax tree, walked iteratively.
fn tree_depth(root: tree_sitter::Node<'_>) -> usize {
    let mut cursor = root.walk();
    let (mut depth, mut max) = (0usize, 0usize);
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            max = max.max(depth);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return max;
            }
            depth -= 1;
        }
    }
}

fn with_detail(message: &str, detail: Option<&str>) -> String {
    match detail {
        Some(d) if !d.is_empty() && !message.is_empty() => format!("{message}: {d}"),
        Some(d) if !d.is_empty() => d.to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter only ever skips work: on real files (this crate's and its dependencies'
    /// sources) the findings with and without it are identical, and some files are skipped.
    #[test]
    fn the_prefilter_never_drops_a_finding() {
        let rules = r#"
id: unwrap
language: rust
rule: { pattern: $X.unwrap() }
---
id: expect-in-fn
language: rust
rule:
  pattern: $X.expect($M)
  inside: { kind: function_item, stopBy: end }
---
id: unsafe-or-transmute
language: rust
rule:
  any:
    - pattern: "unsafe { $$$B }"
    - pattern: mem::transmute($$$A)
---
id: deprecated-attr
language: rust
rule: { kind: identifier, regex: "^deprecat" }
---
id: util
language: rust
utils:
  is-panic: { pattern: "panic!($$$A)" }
rule: { matches: is-panic }
"#;
        let policy = Policy::from_yaml("t.yaml", rules).unwrap_or_else(|e| panic!("{e}"));
        let engine = Engine::new(&policy).unwrap_or_else(|e| panic!("{e}"));
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        collect_rs(&root.join("src"), &mut files);
        if let Some(home) = std::env::var_os("HOME") {
            let registry = std::path::Path::new(&home).join(".cargo/registry/src");
            for index in std::fs::read_dir(registry).into_iter().flatten().flatten() {
                for krate in std::fs::read_dir(index.path()).into_iter().flatten().flatten().take(40) {
                    collect_rs(&krate.path(), &mut files);
                }
            }
        }
        let (mut skipped, mut findings) = (0, 0);
        for path in files.iter().take(1500) {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let file = SourceFile {
                path: "x.rs",
                lang: Some(Lang::Rust),
                text: &text,
            };
            let fast = engine.analyse_with(&file, None, true);
            let full = engine.analyse_with(&file, None, false);
            assert_eq!(fast.findings, full.findings, "{}", path.display());
            skipped += usize::from(!fast.parsed);
            findings += full.findings.len();
        }
        assert!(skipped > 0 && findings > 0, "skipped {skipped}, findings {findings}");
    }

    fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                collect_rs(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::metadata(&path).is_ok_and(|m| m.len() < 300_000)
            {
                out.push(path);
            }
        }
    }
}
