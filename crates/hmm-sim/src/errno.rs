//! Error numbers, by name. The model returns the kernel's negative errnos (`-EBUSY` is `-16`, as in
//! include/uapi/asm-generic/errno-base.h and errno.h); every place a person reads one prints it with
//! [`name`], so `-16` shows as `-EBUSY` in the CLI, lessons and the web app alike.

pub const EPERM: i32 = -1;
pub const ENOENT: i32 = -2;
pub const EAGAIN: i32 = -11;
pub const ENOMEM: i32 = -12;
pub const EFAULT: i32 = -14;
pub const EBUSY: i32 = -16;
pub const EINVAL: i32 = -22;
pub const ERANGE: i32 = -34;
pub const EOPNOTSUPP: i32 = -95;

/// Every errno the model can return, with its name: the one table [`name`] and [`parse`] read.
pub const ALL: [(i32, &str); 9] = [
    (EPERM, "EPERM"),
    (ENOENT, "ENOENT"),
    (EAGAIN, "EAGAIN"),
    (ENOMEM, "ENOMEM"),
    (EFAULT, "EFAULT"),
    (EBUSY, "EBUSY"),
    (EINVAL, "EINVAL"),
    (ERANGE, "ERANGE"),
    (EOPNOTSUPP, "EOPNOTSUPP"),
];

/// The name of a (negative or positive) errno, e.g. `name(-16) == Some("EBUSY")`.
pub fn name(errno: i32) -> Option<&'static str> {
    let negative = -(errno.unsigned_abs() as i64);
    ALL.iter()
        .find(|(e, _)| *e as i64 == negative)
        .map(|(_, n)| *n)
}

/// A return value as a person reads it: `0`, `-EBUSY`, or the bare number when it is not an errno
/// the model knows (e.g. a positive count).
pub fn describe(ret: i32) -> String {
    match (ret < 0).then(|| name(ret)).flatten() {
        Some(n) => format!("-{n}"),
        None => ret.to_string(),
    }
}

/// The errno named `"EBUSY"` or `"-EBUSY"`, as lessons write it.
pub fn parse(text: &str) -> Option<i32> {
    let bare = text.strip_prefix('-').unwrap_or(text);
    ALL.iter().find(|(_, n)| *n == bare).map(|(e, _)| *e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (e, n) in ALL {
            assert_eq!(name(e), Some(n));
            assert_eq!(
                name(-e),
                Some(n),
                "a positive errno (as Kind::Error carries it) has the same name"
            );
            assert_eq!(parse(n), Some(e));
            assert_eq!(parse(&format!("-{n}")), Some(e));
            assert_eq!(describe(e), format!("-{n}"));
        }
        assert_eq!(describe(0), "0");
        assert_eq!(describe(-999), "-999");
        assert_eq!(describe(12), "12", "positive values are counts, not errnos");
        assert_eq!(parse("EWHAT"), None);
    }
}
