//! `Debug` that never shows personal data.

/// Implements `Debug` for types that carry personal data (names, personal
/// numbers, record bodies, free-text reasons) as `TypeName(<redacted>)`.
#[macro_export]
macro_rules! redacted_debug {
    ($($ty:ident),+ $(,)?) => {
        $(
            impl ::std::fmt::Debug for $ty {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(concat!(stringify!($ty), "(<redacted>)"))
                }
            }
        )+
    };
}
