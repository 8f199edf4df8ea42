//! `cargo xtask kernel-lines SRC`: holds the verified lines of `web/kernel-refs.tsv` to a kernel source tree.
//!
//! The web app links a step's kernel function to its line on elixir.bootlin.com only where the table gives a
//! line read in that tagged release. This reads the release's tag from `SRC/Makefile` and, for every row with
//! a line for that tag, checks that the line is where the function is defined: it names the function and
//! (for a C function) its body opens before any `;`, or it is the `#define` of a macro or the `case` that
//! handles an ioctl. Not part of `cargo xtask test`: the kernel source is not in the repository (GPL-2.0,
//! and large); run it against an unpacked tree when adding or moving lines.

use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

pub fn run(src: &Path) -> Result {
    let tag = release_tag(src)?;
    let table_path = crate::project::root().join("web/kernel-refs.tsv");
    let table = std::fs::read_to_string(&table_path)
        .map_err(|e| format!("{}: {e}", table_path.display()))?;
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut passed, mut failed) = (0, 0);
    for (number, row) in table.lines().enumerate() {
        if row.starts_with('#') || row.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = row.split('\t').collect();
        let [function, file, _, _, lines] = cols[..] else {
            return Err(format!("web/kernel-refs.tsv:{}: not 5 columns", number + 1).into());
        };
        let Some(line) = lines
            .split(' ')
            .filter_map(|pair| pair.split_once(':'))
            .find(|(t, _)| *t == tag)
            .and_then(|(_, l)| l.parse::<usize>().ok())
        else {
            continue;
        };
        if !files.contains_key(file) {
            let text = std::fs::read(src.join(file))
                .map_err(|e| format!("{}: {e}", src.join(file).display()))?;
            let text = String::from_utf8_lossy(&text)
                .lines()
                .map(str::to_owned)
                .collect();
            files.insert(file.to_owned(), text);
        }
        if defines(&files[file], line, function) {
            passed += 1;
        } else {
            failed += 1;
            println!("✘ {function}: {file}:{line} in {tag} is not its definition");
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        return Err(crate::Failure::AlreadyReported);
    }
    Ok(())
}

/// `v7.2.13` (or `v6.15` for a .0 release) from the tree's top Makefile.
fn release_tag(src: &Path) -> Result<String> {
    let makefile = std::fs::read_to_string(src.join("Makefile")).map_err(|e| {
        format!(
            "{}: {e} (SRC must be a kernel source tree)",
            src.join("Makefile").display()
        )
    })?;
    let field = |name: &str| {
        makefile
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .trim_start()
                    .strip_prefix('=')
                    .map(str::trim)
            })
            .ok_or_else(|| format!("{}: no {name} line", src.join("Makefile").display()))
    };
    let (version, patchlevel, sublevel) =
        (field("VERSION")?, field("PATCHLEVEL")?, field("SUBLEVEL")?);
    if !field("EXTRAVERSION")?.is_empty() {
        return Err(
            "the tree is a release candidate (EXTRAVERSION is set): lines are read in releases"
                .into(),
        );
    }
    Ok(match sublevel {
        "0" => format!("v{version}.{patchlevel}"),
        _ => format!("v{version}.{patchlevel}.{sublevel}"),
    })
}

/// Is 1-based `line` of `lines` where `name` is defined?
fn defines(lines: &[String], line: usize, name: &str) -> bool {
    let Some(text) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return false;
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with("#define") {
        return trimmed
            .split_whitespace()
            .nth(1)
            .is_some_and(|m| m == name || m.starts_with(&format!("{name}(")));
    }
    if trimmed.starts_with("case ") {
        return trimmed.trim_end_matches(':').split_whitespace().nth(1) == Some(name);
    }
    let names_call = text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].trim_start();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('(')
    });
    let starts_in_column_0 = text
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    if !names_call || !starts_in_column_0 {
        return false;
    }
    // A definition's body opens before a declaration's `;` would end it.
    let rest: String = lines[line - 1..lines.len().min(line + 12)].join("\n");
    match (rest.find('{'), rest.find(';')) {
        (Some(brace), Some(semi)) => brace < semi,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::defines;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_definition_is_told_from_a_declaration_a_call_and_another_function() {
        let src = lines(
            "int hmm_range_fault(struct hmm_range *range);\n\
             static int helper(void)\n{\n\treturn hmm_range_fault(NULL);\n}\n\
             int hmm_range_fault(struct hmm_range *range)\n{\n\treturn 0;\n}\n\
             #define split_folio(f) split_folio_to_list(f, NULL)\n\
             \tcase HMM_DMIRROR_FLAGS:\n",
        );
        assert!(!defines(&src, 1, "hmm_range_fault"), "a declaration");
        assert!(!defines(&src, 4, "hmm_range_fault"), "a call");
        assert!(defines(&src, 6, "hmm_range_fault"));
        assert!(
            !defines(&src, 6, "hmm_range"),
            "a longer name is another function"
        );
        assert!(defines(&src, 10, "split_folio"));
        assert!(defines(&src, 11, "HMM_DMIRROR_FLAGS"));
        assert!(!defines(&src, 99, "hmm_range_fault"), "past the end");
    }
}
