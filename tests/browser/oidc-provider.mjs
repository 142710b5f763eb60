// A real OpenID Connect provider for the sign-in test: the certified
// `oidc-provider` package, with its development login screens (any login
// name is accepted and becomes the subject). Started by
// crates/api/tests/browser.rs with:
//   PORT          where it listens (http://localhost:PORT is the issuer)
//   REDIRECT_URI  ingång's callback, the only one the client may use
//   CLIENT_SECRET the confidential client's secret
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://localhost:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "ingang",
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  // PKCE is required of every client (S256 only).
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ["ingang-browser-test-only"] },
});
provider.listen(port, () => console.log(`ready ${issuer}`));
