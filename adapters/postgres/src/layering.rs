//! The adapter's cut, checked: storage by table. Each stored table's SQL is in its module under
//! [`crate::tables`]; the repositories (directory, menu, orders, export, provisioning) write no
//! SQL of their own against tables and never use one another; the table modules use no
//! repository. A change that breaks the cut fails here, not in review.

use std::path::{Path, PathBuf};

const REPOSITORIES: &[&str] = &["directory", "menu", "orders", "export", "provisioning"];

/// Files of a repository whose SQL is not about tables (roles, grants, the migrations'
/// runner): the install manages roles and the control plane's own migrations.
const NOT_TABLE_SQL: &[&str] = &["provisioning/install.rs", "provisioning/migrations.rs"];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if dir.is_file() {
        return vec![dir.to_owned()];
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The files of repository `name` (a file `name.rs` or a folder `name/`).
fn repository_files(name: &str) -> Vec<PathBuf> {
    let folder = src().join(name);
    if folder.is_dir() {
        rust_files(&folder)
    } else {
        vec![src().join(format!("{name}.rs"))]
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

/// The code of `text` without its comments (`//` to the end of a line) and its tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn repositories_use_table_modules_and_never_each_other() {
    let mut broken = Vec::new();
    for repository in REPOSITORIES {
        for file in repository_files(repository) {
            let text = code(&std::fs::read_to_string(&file).unwrap());
            for other in REPOSITORIES.iter().filter(|o| *o != repository) {
                for path in [format!("crate::{other}::"), format!("crate::{other};")] {
                    if text.contains(&path) {
                        broken.push(format!("{} uses {other}", relative(&file)));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn repositories_write_no_table_sql_of_their_own() {
    let table_sql = [
        "SELECT ",
        "INSERT INTO ",
        "UPDATE ",
        "DELETE FROM ",
        " FROM public.",
        "chameleon_sys.",
    ];
    let mut broken = Vec::new();
    for repository in REPOSITORIES {
        for file in repository_files(repository) {
            let name = relative(&file);
            if NOT_TABLE_SQL.contains(&name.as_str()) {
                continue;
            }
            let text = code(&std::fs::read_to_string(&file).unwrap());
            for sql in table_sql {
                // In a string literal: after a quote, on the same line.
                if text
                    .lines()
                    .any(|line| line.split_once('"').is_some_and(|(_, s)| s.contains(sql)))
                {
                    broken.push(format!("{name} writes {sql:?}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn table_modules_use_no_repository() {
    let mut broken = Vec::new();
    for file in rust_files(&src().join("tables")) {
        let text = code(&std::fs::read_to_string(&file).unwrap());
        for repository in REPOSITORIES {
            if text.contains(&format!("crate::{repository}")) {
                broken.push(format!("{} uses {repository}", relative(&file)));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_check_sees_a_repository_that_borrows_another_s_sql() {
    // A positive control: the scan finds what it looks for in a file that has it.
    let sample = "use crate::menu::LIST_ALL; const Q: &str = \"SELECT id FROM menu_items\";";
    assert!(code(sample).contains("crate::menu::"));
    assert!(
        code(sample)
            .split_once('"')
            .is_some_and(|(_, s)| s.contains("SELECT "))
    );
}
