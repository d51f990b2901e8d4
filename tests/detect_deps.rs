//! `dependency-added`: new dependencies in each manifest format, compared by name with the base.

use aigate::engine::diff::{DiffSpec, check};
use aigate::engine::source::SourceFile;

fn run_with(yaml: &str, path: &str, base: Option<&str>, head: &str) -> Vec<(u32, String)> {
    let spec: DiffSpec = serde_saphyr::from_str(yaml).expect("valid spec");
    spec.validate().expect("valid options");
    let base = base.map(|text| SourceFile { path, lang: None, text });
    let head = SourceFile {
        path,
        lang: None,
        text: head,
    };
    check(&spec, &head, base.as_ref())
        .into_iter()
        .map(|h| (h.start.line, h.detail.unwrap_or_default()))
        .collect()
}

fn run(path: &str, base: &str, head: &str) -> Vec<(u32, String)> {
    run_with("detector: dependency-added", path, Some(base), head)
}

#[test]
fn cargo_sections_targets_workspace_and_renames() {
    let base = "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\n";
    let head = concat!(
        "[package]\nname = \"x\"\n\n[dependencies]\nreqwest = { version = \"0.12\" }\nserde = \"1\"\n",
        "\n[dev-dependencies]\ntempfile = \"3\"\n",
        "\n[target.'cfg(unix)'.dependencies]\nnix = \"0.29\"\n",
        "\n[workspace.dependencies]\nfoo = { package = \"bar-baz\", version = \"1\" }\n",
        "\n[build-dependencies.cc]\nversion = \"1\"\n",
    );
    let hits = run("Cargo.toml", base, head);
    let got: Vec<(u32, &str)> = hits.iter().map(|(l, d)| (*l, d.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (5, "new dependency `reqwest` ([dependencies])"),
            (9, "new dependency `tempfile` ([dev-dependencies])"),
            (12, "new dependency `nix` ([target.cfg(unix).dependencies])"),
            (15, "new dependency `bar-baz` ([workspace.dependencies])"),
            (17, "new dependency `cc` ([build-dependencies])"),
        ]
    );
    // Reordering and version bumps add nothing.
    assert!(
        run(
            "Cargo.toml",
            base,
            "[dependencies]\nserde = { version = \"1.0.200\" }\n"
        )
        .is_empty()
    );
}

#[test]
fn package_json_sections() {
    let base = r#"{"name": "x", "dependencies": {"react": "^18"}}"#;
    let head = "{\n  \"name\": \"x\",\n  \"dependencies\": {\n    \"react\": \"^18\",\n    \"left-pad\": \"1\"\n  },\n  \"devDependencies\": {\n    \"@types/node\": \"20\"\n  }\n}\n";
    let hits = run("web/package.json", base, head);
    assert_eq!(hits.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![5, 8], "{hits:?}");
    assert!(hits[1].1.contains("`@types/node`") && hits[1].1.contains("devDependencies"));
    // Allowed names need no review.
    let allowing = "detector: dependency-added\nallow: ['@types/*']";
    assert_eq!(run_with(allowing, "package.json", Some(base), head).len(), 1);
}

#[test]
fn python_requirements_and_pyproject() {
    let hits = run(
        "requirements-dev.txt",
        "requests==2.31\n",
        "# pinned\nrequests==2.32\nPyYAML>=6 ; python_version>'3.8'\n-r base.txt\n# flask\n",
    );
    assert_eq!(hits, vec![(3, "new dependency `pyyaml` (requirements)".to_owned())]);
    let base = "[project]\nname = \"x\"\ndependencies = [\"requests>=2\"]\n";
    let head = concat!(
        "[project]\nname = \"x\"\ndependencies = [\n  \"Requests>=2\",\n  \"httpx[http2]>=0.27\",\n]\n",
        "[project.optional-dependencies]\ncli = [\"rich\"]\n",
        "[tool.poetry.dependencies]\npython = \"^3.11\"\nDjango = \"^5\"\n",
    );
    let names: Vec<String> = run("pyproject.toml", base, head).into_iter().map(|(_, d)| d).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].contains("`httpx`") && names[1].contains("`rich`") && names[2].contains("`django`"),
        "{names:?}"
    );
}

#[test]
fn go_mod_gemfile_pom_and_csproj() {
    let go_base = "module x\n\ngo 1.22\n\nrequire github.com/a/b v1.0.0\n";
    let go_head = "module x\n\ngo 1.22\n\nrequire github.com/a/b v1.0.0\n\nrequire (\n\tgithub.com/c/d v0.3.0\n\tgolang.org/x/sys v0.20.0 // indirect\n)\n";
    assert_eq!(
        run("go.mod", go_base, go_head),
        vec![(8, "new dependency `github.com/c/d` (require)".to_owned())]
    );
    let gem = run(
        "Gemfile",
        "gem 'rails'\n",
        "gem 'rails'\n# gem 'pry'\ngem \"sidekiq\", \"~> 7\"\n",
    );
    assert_eq!(gem, vec![(3, "new dependency `sidekiq` (gem)".to_owned())]);
    let pom_base = "<project><dependencies>\n</dependencies></project>\n";
    let pom_head = "<project><dependencies>\n<!-- ünïcödé <dependency><groupId>x</groupId><artifactId>old</artifactId></dependency> -->\n<dependency>\n  <groupId>org.slf4j</groupId>\n  <artifactId>slf4j-api</artifactId>\n</dependency>\n</dependencies></project>\n";
    assert_eq!(
        run("pom.xml", pom_base, pom_head),
        vec![(5, "new dependency `org.slf4j:slf4j-api` (<dependency>)".to_owned())]
    );
    let cs = run(
        "src/App/App.csproj",
        "<Project></Project>",
        "<Project>\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\" Version=\"13.0.3\" />\n  </ItemGroup>\n</Project>\n",
    );
    assert_eq!(
        cs,
        vec![(3, "new dependency `Newtonsoft.Json` (<PackageReference>)".to_owned())]
    );
}

#[test]
fn other_files_and_broken_manifests_report_nothing() {
    assert!(run("README.md", "", "serde = \"1\"\n").is_empty());
    assert!(run("Cargo.toml", "", "[dependencies\nserde = \"1\"\n").is_empty());
    // No base: every dependency is new.
    assert_eq!(
        run_with("detector: dependency-added", "Gemfile", None, "gem 'rails'\n").len(),
        1
    );
}

#[test]
fn positions_survive_non_ascii_comments() {
    let spec: DiffSpec = serde_saphyr::from_str("detector: dependency-added").expect("valid spec");
    let text =
        "<Project><!-- créé à Zürich --><ItemGroup><PackageReference Include=\"Serilog\" /></ItemGroup></Project>\n";
    let head = SourceFile {
        path: "App.csproj",
        lang: None,
        text,
    };
    let hits = check(&spec, &head, None);
    assert_eq!(hits.len(), 1);
    let column = text[..text.find("Serilog").expect("present")].chars().count() as u32 + 1;
    assert_eq!((hits[0].start.line, hits[0].start.column), (1, column));
}
