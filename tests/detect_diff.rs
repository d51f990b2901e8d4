//! The built-in change detectors, called directly with a file at base and at head.

use std::path::Path;

use aigate::engine::diff::{DiffSpec, check};
use aigate::engine::lang::Lang;
use aigate::engine::source::{Hit, SourceFile};

fn spec(yaml: &str) -> DiffSpec {
    let spec: DiffSpec = serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    spec.validate().unwrap_or_else(|e| panic!("{yaml}: {e}"));
    spec
}

fn file<'a>(path: &'a str, text: &'a str) -> SourceFile<'a> {
    SourceFile {
        path,
        lang: Lang::from_path(Path::new(path)),
        text,
    }
}

/// Runs `yaml` on `path` changed from `base` (None: no base) to `head`; returns hit lines and details.
fn run(yaml: &str, path: &str, base: Option<&str>, head: &str) -> Vec<(u32, String)> {
    let base = base.map(|b| file(path, b));
    let hits: Vec<Hit> = check(&spec(yaml), &file(path, head), base.as_ref());
    hits.into_iter()
        .map(|h| (h.start.line, h.detail.unwrap_or_default()))
        .collect()
}

fn lines(hits: &[(u32, String)]) -> Vec<u32> {
    hits.iter().map(|(l, _)| *l).collect()
}

const SKIP: &str = "detector: test-skip-added";

#[test]
fn spec_rejects_unknown_detectors_and_options() {
    assert!(serde_saphyr::from_str::<DiffSpec>("detector: nope").is_err());
    assert!(serde_saphyr::from_str::<DiffSpec>("detector: test-deleted\nper: file").is_err());
    assert!(serde_saphyr::from_str::<DiffSpec>("detector: assertion-removed\nper: file").is_ok());
    let bad: DiffSpec = serde_saphyr::from_str("detector: suppression-added\nallow: ['(']").expect("shape is fine");
    assert!(bad.validate().is_err(), "an invalid regex is a load error");
    // Specs serialize back to the shape they were written in.
    let secrets = spec("detector: secret-added\nmin-length: 20\nnames: [passphrase]");
    let json = serde_json::to_value(&secrets).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"detector": "secret-added", "min-length": 20, "entropy": 3.5, "names": ["passphrase"]})
    );
    assert_eq!(serde_json::from_value::<DiffSpec>(json).expect("reads back"), secrets);
}

#[test]
fn rust_ignore_added_is_reported_but_not_when_it_existed_or_moved() {
    let base = "#[test]\nfn a() {}\n\n#[test]\n#[ignore]\nfn b() {}\n";
    let head = "#[test]\n#[ignore]\nfn a() {}\n\n#[test]\n#[ignore]\nfn b() {}\n";
    assert_eq!(lines(&run(SKIP, "src/lib.rs", Some(base), head)), vec![2]);
    // b's existing #[ignore] moved above a: nothing was added.
    let moved = "#[test]\n#[ignore]\nfn b() {}\n\n#[test]\nfn a() {}\n";
    assert!(run(SKIP, "src/lib.rs", Some(base), moved).is_empty());
}

#[test]
fn skips_in_comments_and_strings_are_not_code() {
    let head = "// #[ignore] for later\nfn f() { let s = \"#[ignore]\"; }\n";
    assert!(run(SKIP, "src/lib.rs", Some(""), head).is_empty());
    let js = "const note = 'it.skip(\"x\")';\n// xit('y')\nit('z', () => {});\n";
    assert!(run(SKIP, "a.test.js", Some(""), js).is_empty());
}

#[test]
fn skips_in_every_language() {
    let cases = [
        ("t.py", "@pytest.mark.skip(reason='slow')\ndef test_a():\n    pass\n"),
        ("t.py", "def test_a():\n    pytest.skip('later')\n"),
        ("t.py", "@unittest.skipIf(True, 'x')\ndef test_a(self):\n    pass\n"),
        ("a.test.ts", "describe.skip('suite', () => {});\n"),
        ("a.test.js", "xit('works', () => {});\n"),
        ("a.test.tsx", "test.todo('later');\n"),
        ("a_test.go", "func TestA(t *testing.T) {\n\tt.Skip(\"flaky\")\n}\n"),
        ("a_test.go", "func (s *Suite) TestA() {\n\ts.T().SkipNow()\n}\n"),
        ("ATest.java", "class A {\n  @Disabled\n  @Test void a() {}\n}\n"),
        ("ATest.java", "class A {\n  @Ignore\n  @Test public void a() {}\n}\n"),
        (
            "A.cs",
            "class A {\n  [Fact(Skip = \"flaky\")]\n  public void B() {}\n}\n",
        ),
        (
            "A.cs",
            "class A {\n  [Test]\n  [Ignore(\"x\")]\n  public void B() {}\n}\n",
        ),
        ("a_spec.rb", "describe A do\n  xit 'works' do\n  end\nend\n"),
        (
            "a_spec.rb",
            "describe A do\n  it 'works' do\n    skip 'later'\n  end\nend\n",
        ),
    ];
    for (path, head) in cases {
        let hits = run(SKIP, path, Some(""), head);
        assert_eq!(hits.len(), 1, "{path}: {head:?} gave {hits:?}");
        assert!(hits[0].1.starts_with("test skipped"), "{hits:?}");
    }
    // Plain tests are not skips.
    for (path, head) in [
        ("t.py", "def test_a():\n    assert skip_count == 0\n"),
        ("a_test.go", "func TestA(t *testing.T) {}\n"),
        ("a_test.go", "func TestA(t *testing.T) {\n\tr.Skip(4)\n}\n"),
    ] {
        assert!(run(SKIP, path, Some(""), head).is_empty(), "{path}");
    }
}

#[test]
fn without_a_base_everything_at_head_is_added() {
    assert_eq!(
        lines(&run(SKIP, "src/lib.rs", None, "#[test]\n#[ignore]\nfn a() {}\n")),
        vec![2]
    );
}

const DELETED: &str = "detector: test-deleted";

#[test]
fn deleted_tests_are_named() {
    let base =
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn keeps() {}\n    #[tokio::test]\n    async fn goes() {}\n}\n";
    let head = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn keeps() {}\n}\n";
    let hits = run(DELETED, "src/lib.rs", Some(base), head);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.contains("`goes`"), "{hits:?}");
    // Reordering keeps every test.
    let reordered =
        "#[cfg(test)]\nmod tests {\n    #[tokio::test]\n    async fn goes() {}\n    #[test]\n    fn keeps() {}\n}\n";
    assert!(run(DELETED, "src/lib.rs", Some(base), reordered).is_empty());
    assert!(
        run(DELETED, "src/lib.rs", None, head).is_empty(),
        "no base, nothing to compare"
    );
}

#[test]
fn deleted_tests_in_other_languages() {
    let cases = [
        (
            "t.py",
            "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
            "def test_a():\n    pass\n",
            "test_b",
        ),
        (
            "a.test.ts",
            "it('adds', () => {});\ntest(\"subtracts\", () => {});\n",
            "it('adds', () => {});\n",
            "subtracts",
        ),
        (
            "a_test.go",
            "func TestA(t *testing.T) {}\nfunc TestB(t *testing.T) {}\n",
            "func TestA(t *testing.T) {}\n",
            "TestB",
        ),
        (
            "ATest.java",
            "class A {\n @Test\n public void one() {}\n @Test\n void two() {}\n}\n",
            "class A {\n @Test\n public void one() {}\n}\n",
            "two",
        ),
        (
            "A.cs",
            "class A {\n [Fact]\n public void One() {}\n [Theory]\n public async Task Two() {}\n}\n",
            "class A {\n [Fact]\n public void One() {}\n}\n",
            "Two",
        ),
        (
            "a_spec.rb",
            "describe A do\n  it 'one' do\n  end\n  it \"two\" do\n  end\nend\n",
            "describe A do\n  it 'one' do\n  end\nend\n",
            "two",
        ),
    ];
    for (path, base, head, gone) in cases {
        let hits = run(DELETED, path, Some(base), head);
        assert_eq!(hits.len(), 1, "{path}: {hits:?}");
        assert!(hits[0].1.contains(&format!("`{gone}`")), "{path}: {hits:?}");
    }
    // A test mentioned only in a comment at head is still deleted.
    let hits = run(
        DELETED,
        "t.py",
        Some("def test_a():\n    pass\n"),
        "# def test_a():\n#     pass\n",
    );
    assert_eq!(hits.len(), 1);
    // A deleted file deletes its tests.
    assert_eq!(run(DELETED, "t.py", Some("def test_a():\n    pass\n"), "").len(), 1);
}

const ASSERTS: &str = "detector: assertion-removed";

#[test]
fn assertions_removed_from_a_test_are_reported_at_the_test() {
    let base =
        "#[test]\nfn a() {\n    assert_eq!(f(), 1);\n    assert!(g());\n}\n\n#[test]\nfn b() {\n    assert!(h());\n}\n";
    let head = "#[test]\nfn b() {\n    assert!(h());\n}\n\n#[test]\nfn a() {\n    assert_eq!(f(), 1);\n    // assert!(g());\n}\n";
    let hits = run(ASSERTS, "src/lib.rs", Some(base), head);
    assert_eq!(
        hits,
        vec![(7, "test `a` lost 1 assertion(s) (2 at base, 1 at head)".to_owned())]
    );
    // Same assertions, reordered tests: nothing removed.
    let same =
        "#[test]\nfn b() {\n    assert!(h());\n}\n\n#[test]\nfn a() {\n    assert!(g());\n    assert_eq!(f(), 1);\n}\n";
    assert!(run(ASSERTS, "src/lib.rs", Some(base), same).is_empty());
}

#[test]
fn assertions_in_other_languages_and_per_file() {
    let py_base = "class T(TestCase):\n    def test_a(self):\n        self.assertEqual(1, f())\n        assert g()\n";
    let py_head = "class T(TestCase):\n    def test_a(self):\n        f()\n        assert g()\n";
    assert_eq!(lines(&run(ASSERTS, "t.py", Some(py_base), py_head)), vec![2]);
    let js_base = "describe('m', () => {\n  it('works', () => {\n    expect(f()).toBe(1);\n    expect(g()).toBe(2);\n  });\n});\n";
    let js_head = "describe('m', () => {\n  it('works', () => {\n    expect(f()).toBe(1);\n  });\n});\n";
    let hits = run(ASSERTS, "m.test.js", Some(js_base), js_head);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.contains("`works`"), "{hits:?}");
    let go_base =
        "func TestA(t *testing.T) {\n\tif f() != 1 {\n\t\tt.Fatalf(\"bad\")\n\t}\n\trequire.NoError(t, g())\n}\n";
    let go_head = "func TestA(t *testing.T) {\n\tf()\n\trequire.NoError(t, g())\n}\n";
    assert_eq!(lines(&run(ASSERTS, "a_test.go", Some(go_base), go_head)), vec![1]);
    let cs_base = "class A {\n [Fact]\n public void B() {\n  Assert.Equal(1, F());\n  Assert.True(G());\n }\n}\n";
    let cs_head = "class A {\n [Fact]\n public void B() {\n  Assert.Equal(1, F());\n }\n}\n";
    assert_eq!(run(ASSERTS, "A.cs", Some(cs_base), cs_head).len(), 1);
    let java_base = "class A {\n @Test\n void b() {\n  assertEquals(1, f());\n  assertThat(g()).isTrue();\n }\n}\n";
    let java_head = "class A {\n @Test\n void b() {\n  assertEquals(1, f());\n }\n}\n";
    assert_eq!(run(ASSERTS, "ATest.java", Some(java_base), java_head).len(), 1);
    // Per file: a helper's assertion counts too.
    let file_mode = "detector: assertion-removed\nper: file";
    let base = "fn check(x: u8) {\n    assert!(x > 0);\n}\n";
    assert_eq!(
        lines(&run(file_mode, "tests/it.rs", Some(base), "fn check(x: u8) {}\n")),
        vec![1]
    );
    assert!(
        run(ASSERTS, "tests/it.rs", Some(base), "fn check(x: u8) {}\n").is_empty(),
        "not in a test"
    );
}

const SUPPRESS: &str = "detector: suppression-added";

#[test]
fn suppressions_added_per_language() {
    let cases = [
        ("src/lib.rs", "#[allow(dead_code)]\nfn f() {}\n"),
        ("src/lib.rs", "#![allow(clippy::all)]\n"),
        ("src/lib.rs", "#[cfg_attr(feature = \"x\", allow(unused))]\nfn f() {}\n"),
        ("a.js", "// eslint-disable-next-line no-eval\neval(x);\n"),
        ("a.ts", "/* eslint-disable */\nlet x = 1;\n"),
        ("a.ts", "// @ts-ignore\nlet x: number = 'a';\n"),
        ("a.ts", "// @ts-expect-error\nlet x: number = 'a';\n"),
        ("a.py", "import os  # noqa: F401\n"),
        ("a.py", "x = f()  # type: ignore[arg-type]\n"),
        ("a.py", "x = f()  # pylint: disable=invalid-name\n"),
        ("a.go", "package a\n\nvar x = 1 //nolint:gochecknoglobals\n"),
        (
            "A.java",
            "class A {\n  @SuppressWarnings(\"unchecked\")\n  void f() {}\n}\n",
        ),
        ("A.cs", "#pragma warning disable CS0168\nclass A {}\n"),
        ("a.rb", "x = 1 # rubocop:disable Style/Foo\n"),
    ];
    for (path, head) in cases {
        let hits = run(SUPPRESS, path, Some(""), head);
        assert_eq!(hits.len(), 1, "{path}: {head:?} gave {hits:?}");
        assert!(hits[0].1.starts_with("suppression added"), "{hits:?}");
    }
}

#[test]
fn suppression_markers_outside_their_place_and_allowed_ones_are_not_reported() {
    // `noqa` in a string is not a comment; `allow(` in a comment is not an attribute.
    assert!(run(SUPPRESS, "a.py", Some(""), "msg = 'use # noqa sparingly'\n").is_empty());
    // The word in prose is not the directive: flake8 reads `# noqa` only.
    assert!(
        run(
            SUPPRESS,
            "a.py",
            Some(""),
            "# Python's noqa comments are counted elsewhere\nx = 1\n"
        )
        .is_empty()
    );
    assert!(
        run(
            SUPPRESS,
            "src/lib.rs",
            Some(""),
            "//! directives such as noqa live in comments\nfn f() {}\n"
        )
        .is_empty()
    );
    assert_eq!(
        lines(&run(SUPPRESS, "a.py", Some(""), "x = 1  # type: int #noqa: E501\n")),
        vec![1]
    );
    assert!(
        run(
            SUPPRESS,
            "src/lib.rs",
            Some(""),
            "// #[allow(dead_code)] was here\nfn f() {}\n"
        )
        .is_empty()
    );
    let existing = "#[allow(dead_code)]\nfn f() {}\n";
    assert!(
        run(
            SUPPRESS,
            "src/lib.rs",
            Some(existing),
            &format!("fn g() {{}}\n{existing}")
        )
        .is_empty()
    );
    let allowing = "detector: suppression-added\nallow: ['clippy::too_many_arguments']";
    assert!(
        run(
            allowing,
            "src/lib.rs",
            Some(""),
            "#[allow(clippy::too_many_arguments)]\nfn f() {}\n"
        )
        .is_empty()
    );
    assert_eq!(
        run(allowing, "src/lib.rs", Some(""), "#[allow(dead_code)]\nfn f() {}\n").len(),
        1
    );
}
