//! The problem codes are one list (`ProblemCode`): the README's table is that list, and every
//! answer nginx makes itself carries one of the edge's codes with the code's own status.

use std::path::PathBuf;

use chameleon_http::problem_code::{Origin, ProblemCode};

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

const BEGIN: &str = "<!-- problem-codes:begin -->\n";
const END: &str = "<!-- problem-codes:end -->";

/// The README's table of codes is the enum's. `UPDATE_SNAPSHOTS=1` rewrites it.
#[test]
fn the_readme_lists_every_problem_code() {
    let path = repo_file("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("the README's table markers") + BEGIN.len();
    let end = readme[start..].find(END).expect("the table's end marker") + start;
    let table = ProblemCode::markdown_table();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == table,
        "the README's problem codes differ from ProblemCode; run \
         `UPDATE_SNAPSHOTS=1 cargo test -p chameleon-http` to update them"
    );
}

/// `return <status> '{..."code":"<code>"}'` lines of the nginx template.
fn edge_answers() -> Vec<(u16, String)> {
    let template = std::fs::read_to_string(repo_file("deploy/nginx/nginx.conf.template")).unwrap();
    template
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("return ")?;
            let (status, body) = rest.split_once(' ')?;
            let code = body.split("\"code\":\"").nth(1)?.split('"').next()?;
            Some((status.parse().ok()?, code.to_owned()))
        })
        .collect()
}

#[test]
fn every_answer_nginx_makes_itself_carries_an_edge_code_and_its_status() {
    let answers = edge_answers();
    assert!(
        answers.len() >= 4,
        "the template's answers were not found: {answers:?}"
    );
    for (status, code) in answers {
        let known = ProblemCode::parse(&code)
            .unwrap_or_else(|| panic!("nginx answers with {code:?}, which is no ProblemCode"));
        assert_eq!(known.status().as_u16(), status, "{code}");
        assert_ne!(
            known.origin(),
            Origin::Service,
            "{code} is not an edge code"
        );
    }
}
