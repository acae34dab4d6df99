//! Hostile and broken input generated in code (too big, too deep or binary to commit): each
//! gives a clear error, never a panic, a hang or a stack overflow.

use flowform_spec::limits::{MAX_CONTENT_FILE_BYTES, MAX_DEPTH, MAX_FILE_BYTES};
use flowform_spec::{Code, LoadOptions, Loaded, ProcessEnvironment};

use crate::support::{bundle, redact_root, render_diagnostics};

/// Loads one file named explicitly (`-f FILE`), so it is read as a spec file whatever it holds.
fn load_bytes(name: &str, bytes: &[u8]) -> (tempfile::TempDir, Loaded) {
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    fs_err::write(directory.path().join(name), bytes).expect("the file can be written");
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![directory.path().join(name)],
        environment: ProcessEnvironment::Fixed(Default::default()),
        ..LoadOptions::default()
    });
    (directory, loaded)
}

fn codes(loaded: &Loaded) -> Vec<Code> {
    loaded.diagnostics.iter().map(|diagnostic| diagnostic.code).collect()
}

#[test]
fn file_over_the_size_limit() {
    let mut text = b"integrations:\n  big:\n    name: Big\n    description: \"".to_vec();
    text.resize(MAX_FILE_BYTES as usize + 10, b'x');
    let (_directory, loaded) = load_bytes("big.yaml", &text);
    assert_eq!(codes(&loaded), [Code::FileTooLarge]);
    let message = &loaded.diagnostics[0].message;
    assert!(message.contains("16777216 bytes (16 MiB)"), "{message}");
}

#[test]
fn nesting_ten_thousand_levels_deep() {
    let depth = 10_000;
    let cases = [
        ("flow-sequences.yaml", format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth))),
        ("flow-mappings.yaml", format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth))),
        ("block-sequences.yaml", format!("a:\n  {}x\n", "- ".repeat(depth))),
        (
            "block-mappings.yaml",
            (0..MAX_DEPTH + 10).map(|level| format!("{}k{level}:\n", " ".repeat(level))).collect(),
        ),
    ];
    for (name, text) in cases {
        let (_directory, loaded) = load_bytes(name, text.as_bytes());
        assert_eq!(codes(&loaded), [Code::TooDeep], "{name}");
        let diagnostic = &loaded.diagnostics[0];
        assert!(diagnostic.message.contains("128 levels"), "{name}: {}", diagnostic.message);
        assert!(diagnostic.line >= 1 && diagnostic.column >= 1, "{name} has a location");
    }
}

#[test]
fn deepest_allowed_nesting_loads() {
    // Sections, key and body take three levels; the rest is nesting inside the body.
    let inner = MAX_DEPTH - 4;
    let text =
        format!("exports:\n  deep:\n    mockOutput: {}1{}\n", "[".repeat(inner), "]".repeat(inner));
    let (_directory, loaded) = load_bytes("deep.yaml", text.as_bytes());
    // Only the body's own problems (no `name`, no `adaptorType`): the nesting loads.
    assert!(
        loaded.diagnostics.iter().all(|d| d.code == Code::MissingField),
        "{:?}",
        loaded.diagnostics
    );
    assert_eq!(loaded.desired.resources.len(), 1);
}

#[test]
fn aliases_cannot_nest_past_the_depth_limit() {
    let half = MAX_DEPTH / 2 + 10;
    let text = format!(
        "a: &a {}1{}\nb: {}*a{}\n",
        "[".repeat(half),
        "]".repeat(half),
        "[".repeat(half),
        "]".repeat(half)
    );
    let (_directory, loaded) = load_bytes("alias-depth.yaml", text.as_bytes());
    assert_eq!(codes(&loaded), [Code::TooDeep]);
}

#[test]
fn too_many_nodes() {
    let items = flowform_spec::limits::MAX_NODES_PER_FILE + 1;
    let mut text = String::with_capacity(items * 2 + 8);
    text.push_str("a: [");
    for _ in 0..items {
        text.push_str("0,");
    }
    text.push_str("]\n");
    let (_directory, loaded) = load_bytes("many.yaml", text.as_bytes());
    assert_eq!(codes(&loaded), [Code::TooManyNodes]);
}

#[test]
fn non_utf8_bytes() {
    let mut bytes = b"integrations:\n  usage:\n    name: Caf".to_vec();
    bytes.extend([0xE9, b'\n']);
    let (directory, loaded) = load_bytes("latin1.yaml", &bytes);
    assert_eq!(codes(&loaded), [Code::NotUtf8]);
    insta::assert_snapshot!(redact_root(&render_diagnostics(&loaded), directory.path()));
}

#[test]
fn missing_paths_and_empty_directories() {
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    fs_err::create_dir(directory.path().join("empty")).expect("a directory can be created");
    fs_err::write(directory.path().join("empty/readme.txt"), "not yaml").expect("written");
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![directory.path().join("missing.yaml"), directory.path().join("empty")],
        ..LoadOptions::default()
    });
    assert_eq!(codes(&loaded), [Code::Io, Code::NoSpecFiles]);
    let rendered = redact_root(&render_diagnostics(&loaded), directory.path());
    insta::assert_snapshot!(rendered);
}

#[cfg(unix)]
#[test]
fn content_file_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().expect("a temporary directory can be created");
    let secret = outside.path().join("secret.js");
    fs_err::write(&secret, "// not part of the spec").expect("written");
    let bundle = bundle(
        "script.yaml",
        "scripts:\n  linked:\n    name: Linked\n    contentFile: scripts/linked.js\n",
    );
    fs_err::create_dir_all(bundle.root().join("scripts")).expect("created");
    std::os::unix::fs::symlink(&secret, bundle.root().join("scripts/linked.js"))
        .expect("a symlink can be created");
    let loaded = bundle.load();
    assert_eq!(codes(&loaded), [Code::ContentFile]);
    insta::assert_snapshot!(redact_root(&render_diagnostics(&loaded), bundle.root()));
}

#[cfg(unix)]
#[test]
fn content_file_symlink_inside_the_root_is_fine() {
    let bundle = bundle(
        "script.yaml",
        "scripts:\n  linked:\n    name: Linked\n    contentFile: link.js\n# test: file real/code.js\nfunction run() {}\n",
    );
    std::os::unix::fs::symlink(bundle.root().join("real/code.js"), bundle.root().join("link.js"))
        .expect("a symlink can be created");
    let loaded = bundle.load();
    assert!(!loaded.has_errors(), "{}", render_diagnostics(&loaded));
}

#[test]
fn content_file_too_large_or_not_utf8() {
    let bundle = bundle(
        "script.yaml",
        "scripts:\n  big:\n    name: Big\n    contentFile: big.js\n  binary:\n    name: Binary\n    contentFile: binary.js\n",
    );
    fs_err::write(bundle.root().join("big.js"), vec![b'x'; MAX_CONTENT_FILE_BYTES as usize + 1])
        .expect("written");
    fs_err::write(bundle.root().join("binary.js"), [b'a', 0xFF, 0xFE]).expect("written");
    let loaded = bundle.load();
    assert_eq!(codes(&loaded), [Code::ContentFile, Code::ContentFile]);
    insta::assert_snapshot!(redact_root(&render_diagnostics(&loaded), bundle.root()));
}

/// A small deterministic generator (SplitMix64), so the mutation test is the same every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// Mutates valid fixtures at random (inserting YAML punctuation, deleting, duplicating lines)
/// and loads each result: whatever comes out, the loader must return, not panic.
#[test]
fn random_mutations_never_panic() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut sources: Vec<Vec<u8>> = fs_err::read_dir(&fixtures)
        .expect("the fixtures directory exists")
        .map(|entry| fs_err::read(entry.expect("readable").path()).expect("readable"))
        .collect();
    sources.sort();
    let pieces: [&[u8]; 16] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b"- ",
        b"&a ",
        b"*a",
        b"!!binary ",
        b"\t",
        b"\n",
        b"${",
        b"${flow.",
        b"'",
        b"\"",
        b"\xff",
    ];
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    let path = directory.path().join("mutated.yaml");
    let options = LoadOptions {
        paths: vec![path.clone()],
        environment: ProcessEnvironment::Fixed(Default::default()),
        ..LoadOptions::default()
    };
    let mut random = Random(0x5EED);
    for _ in 0..400 {
        let mut bytes = sources[random.below(sources.len())].clone();
        for _ in 0..=random.below(4) {
            let at = random.below(bytes.len() + 1);
            match random.below(3) {
                0 => {
                    let piece = pieces[random.below(pieces.len())];
                    bytes.splice(at..at, piece.iter().copied());
                }
                1 => {
                    let end = (at + random.below(8)).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {
                    let end = (at + random.below(40)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
            }
        }
        fs_err::write(&path, &bytes).expect("written");
        let loaded = flowform_spec::load(&options);
        for diagnostic in &loaded.diagnostics {
            assert!(!diagnostic.message.is_empty());
        }
    }
}
