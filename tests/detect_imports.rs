//! Architecture layering: imports extracted per language with tree-sitter, matched to patterns.

use std::path::Path;

use aigate::engine::imports::{ImportsSpec, check};
use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;

fn run(yaml: &str, path: &str, text: &str) -> Vec<(u32, String)> {
    let spec: ImportsSpec = serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    spec.validate().expect("valid spec");
    let head = SourceFile {
        path,
        lang: Lang::from_path(Path::new(path)),
        text,
    };
    check(&spec, &head, None)
        .into_iter()
        .map(|h| (h.start.line, h.detail.unwrap_or_default()))
        .collect()
}

const DOMAIN: &str = "from: ['src/domain/**']\nforbid: [crate::infra, sqlx, reqwest]\nallow: [crate::infra::ids]";

#[test]
fn rust_use_groups_mod_and_extern_crate() {
    let text = r#"use std::collections::HashMap;
use crate::{model::User, infra::{db::Pool, cache}};
// use sqlx::PgPool;
const S: &str = "use reqwest::Client;";
use sqlx_core::Row;
use crate::infra::ids::UserId;
extern crate reqwest as http;
use super::super::infra::Db;
fn f() { use ::sqlx::query; }
"#;
    let hits = run(DOMAIN, "src/domain/user.rs", text);
    assert_eq!(
        hits,
        vec![
            (
                2,
                "imports `crate::infra::db::Pool`, forbidden by `crate::infra`".to_owned()
            ),
            (
                2,
                "imports `crate::infra::cache`, forbidden by `crate::infra`".to_owned()
            ),
            (7, "imports `reqwest`, forbidden by `reqwest`".to_owned()),
            (
                8,
                "imports `super::super::infra::Db`, forbidden by `crate::infra`".to_owned()
            ),
            (9, "imports `sqlx::query`, forbidden by `sqlx`".to_owned()),
        ]
    );
    // Outside `from`, nothing is forbidden.
    assert!(run(DOMAIN, "src/infra/db.rs", "use sqlx::PgPool;\n").is_empty());
}

#[test]
fn python_imports_absolute_and_relative() {
    let spec = "from: ['app/domain/**']\nforbid: ['app.infra', 'requests']";
    let text = "import os\nimport requests.adapters as ra\nfrom app.infra.db import session\nfrom ..infra import cache\nfrom . import rules\n# import requests\ns = 'import requests'\n";
    let hits = run(spec, "app/domain/svc.py", text);
    let got: Vec<u32> = hits.iter().map(|h| h.0).collect();
    assert_eq!(got, vec![2, 3, 4], "{hits:?}");
    assert!(hits[2].1.contains("`..infra.cache`"), "{hits:?}");
    let glob = "forbid: ['app.infra.*']";
    assert_eq!(
        run(
            glob,
            "app/domain/svc.py",
            "from app import infra\nfrom app.infra import db\n"
        )
        .len(),
        1
    );
}

#[test]
fn javascript_and_typescript_forms() {
    let spec = "from: ['web/src/domain/**']\nforbid: ['axios', 'web/src/infra/**', '@org/db']";
    let text = r#"import axios from 'axios';
import '@org/db/register';
export { q } from "../infra/query";
const db = require('@org/db');
const lazy = () => import('axios/lib/x');
// import x from 'axios';
const s = "require('axios')";
import { ok } from './model';
import type { T } from '@org/dbx';
"#;
    for path in ["web/src/domain/a.ts", "web/src/domain/a.js", "web/src/domain/a.tsx"] {
        let hits = run(spec, path, text);
        assert_eq!(
            hits.iter().map(|h| h.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5],
            "{path}: {hits:?}"
        );
    }
}

#[test]
fn go_java_and_csharp() {
    let go = "package user\n\nimport \"fmt\"\n\nimport (\n\t\"database/sql\"\n\tdb \"github.com/acme/app/infra/db\"\n\t// \"net/http\"\n)\n";
    let hits = run(
        "forbid: ['github.com/acme/app/infra', 'database/sql']",
        "domain/user.go",
        go,
    );
    assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![6, 7], "{hits:?}");
    let java = "package a;\nimport com.acme.infra.Db;\nimport static com.acme.infra.Db.open;\nimport com.acme.domain.*;\n// import com.acme.infra.X;\n";
    assert_eq!(
        run("forbid: ['com.acme.infra']", "src/A.java", java)
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    let cs = "using System;\nusing Acme.Infra.Db;\nusing Db = Acme.Infra.Db.Context;\nusing static Acme.Infra.Util;\n";
    assert_eq!(
        run("forbid: ['Acme.Infra']", "Domain/A.cs", cs)
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
}

#[test]
fn imports_resolved_through_the_file_path_are_found_even_if_the_text_never_names_the_module() {
    // `mod db;` in src/infra/mod.rs declares crate::infra::db; the text says only `db`.
    let hits = run("forbid: [crate::infra]", "src/infra/mod.rs", "mod db;\n");
    assert_eq!(
        hits,
        vec![(1, "imports `crate::infra::db`, forbidden by `crate::infra`".to_owned())]
    );
    let hits = run("forbid: [app.infra]", "app/infra/sub/x.py", "from . import y\n");
    assert_eq!(hits.len(), 1, "{hits:?}");
    // A file that mentions no forbidden module anywhere is not parsed, and has no hits.
    assert!(run("forbid: [crate::infra]", "src/domain/a.rs", "use crate::model::User;\n").is_empty());
}

#[test]
fn bad_specs_are_load_errors() {
    assert!(serde_saphyr::from_str::<ImportsSpec>("forbid: [a]\nonly: [b]").is_err());
    let empty: ImportsSpec = serde_saphyr::from_str("forbid: []").expect("shape is fine");
    assert!(empty.validate().is_err());
    let bad_glob: ImportsSpec = serde_saphyr::from_str("from: ['a/{b']\nforbid: [x]").expect("shape is fine");
    assert!(bad_glob.validate().is_err());
}
