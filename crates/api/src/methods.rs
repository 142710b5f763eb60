//! 405 Method Not Allowed with `Allow` (RFC 9110 §15.5.6) for a path that
//! exists but lacks the method, rather than a 404 that would claim the
//! path is unknown. The table comes from the same route list as the server
//! and the OpenAPI document, so it cannot drift from either.

use actix_web::dev::ResourceDef;
use utoipa::openapi::OpenApi;

/// Every path pattern of the service with its `Allow` value.
#[derive(Debug, Clone, Default)]
pub struct KnownPaths {
    paths: Vec<(ResourceDef, String)>,
}

impl KnownPaths {
    pub fn from_openapi(api: &OpenApi) -> Self {
        let paths = api
            .paths
            .paths
            .iter()
            .map(|(pattern, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (ResourceDef::new(pattern.as_str()), methods.join(", "))
            })
            .collect::<Vec<_>>();
        // A fixed path (`/v1/clients/search`) wins over a pattern that also
        // matches it (`/v1/clients/{id}`), as in the router.
        let mut paths = paths;
        paths.sort_by_key(|(pattern, _)| pattern.pattern().is_some_and(|p| p.contains('{')));
        Self { paths }
    }

    /// The `Allow` value of a fixed path (one without parameters) equal to
    /// `path`: such a path answered by a parameterized route of another
    /// method (GET `/v1/clients/search` reaching `/v1/clients/{id}`) is 405,
    /// not a malformed id.
    pub fn allow_fixed(&self, path: &str) -> Option<&str> {
        self.paths
            .iter()
            .find(|(pattern, _)| pattern.pattern() == Some(path))
            .map(|(_, allow)| allow.as_str())
    }

    /// The `Allow` value of the route `path` belongs to; `None` when no
    /// route has this path (a true 404).
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.paths
            .iter()
            .find(|(pattern, _)| pattern.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::KnownPaths;

    #[test]
    fn paths_of_the_service_know_their_methods() {
        let known = KnownPaths::from_openapi(&crate::openapi::document());
        assert_eq!(known.allow("/v1/records/0b0e"), Some("GET, PUT"));
        assert_eq!(known.allow("/v1/agencies"), Some("GET, POST"));
        assert_eq!(known.allow("/v1/nothing"), None);
        assert_eq!(known.allow("/v1/records/a/b"), None);
        assert_eq!(known.allow("/v1/clients/search"), Some("POST"));
        assert_eq!(known.allow_fixed("/v1/clients/search"), Some("POST"));
        assert_eq!(known.allow_fixed("/v1/clients/0b0e"), None);
    }
}
