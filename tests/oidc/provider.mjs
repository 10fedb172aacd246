// A real OpenID provider (the certified `oidc-provider` package) for the social-login tests.
//
// Started by tests/common/oidc.rs as `node tests/oidc/provider.mjs` with its configuration as
// JSON in the environment variable OIDC_PROVIDER_CONFIG:
//   { "port": 0,                       // 0 (or absent): any free port
//     "clients":  [{ "client_id", "client_secret", "redirect_uris": [..],
//                    "token_endpoint_auth_method": "client_secret_basic" | "client_secret_post" }],
//     "accounts": [{ "sub", "email", "email_verified", "password" }] }
// It serves plain HTTP on 127.0.0.1 (issuer http://127.0.0.1:<port>), prints one line
// `READY <issuer>` once it listens, and exits when its standard input closes.
//
// Authorization code flow only, PKCE (S256) required of every client. The sign-in page is a
// minimal form (fields `login` = email or sub, and `password`) that checks the password;
// consent is granted automatically for whatever was requested; /interaction/<uid>/abort
// cancels (the app gets error=access_denied).

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

let provider; // created once the port is known
const config = JSON.parse(process.env.OIDC_PROVIDER_CONFIG ?? '{}');
const accounts = config.accounts ?? [];

const findByLogin = (login) => accounts.find(
  (a) => a.sub === login || a.email.toLowerCase() === String(login).toLowerCase(),
);

// A fresh RS256 signing key for each run.
const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const loginPage = (uid, error) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign-in</title></head><body>
<h1>Sign-in</h1>${error ? `<p class="error">${html(error)}</p>` : ''}
<form method="post" action="/interaction/${html(uid)}/login">
<input name="login" autofocus><input name="password" type="password">
<button type="submit">Sign-in</button></form>
<a href="/interaction/${html(uid)}/abort">Cancel</a>
</body></html>`;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// The interaction pages (the provider sends the browser to /interaction/<uid>).
async function interactions(ctx, next) {
  const match = /^\/interaction\/([^/]+)(\/login|\/abort)?$/.exec(ctx.path);
  if (!match) return next();
  const [, uid, action] = match;
  const { req, res } = ctx;
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const { prompt, params, session } = details;

  if (action === '/abort') {
    ctx.respond = false;
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  if (action === '/login') {
    if (ctx.method !== 'POST' || prompt.name !== 'login') ctx.throw(400, 'unexpected login');
    const form = await readForm(req);
    const account = findByLogin(form.get('login') ?? '');
    if (!account || account.password !== form.get('password')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, 'Invalid login or password.');
      return undefined;
    }
    ctx.respond = false;
    return provider.interactionFinished(req, res, {
      login: { accountId: account.sub },
    }, { mergeWithLastSubmission: false });
  }

  if (prompt.name === 'login') {
    ctx.type = 'html';
    ctx.body = loginPage(uid);
    return undefined;
  }
  if (prompt.name === 'consent') {
    // Consent granted for everything that was asked for.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    ctx.respond = false;
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return ctx.throw(501, `prompt ${prompt.name} is not implemented`);
}

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: (config.clients ?? []).map((c) => ({
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    findAccount: (_ctx, sub) => {
      const account = accounts.find((a) => a.sub === sub);
      return account && {
        accountId: sub,
        claims: () => ({ sub, email: account.email, email_verified: account.email_verified }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    conformIdTokenClaims: false, // the scope's claims go into the ID token too
    pkce: { required: () => true }, // S256 is the only method v9 supports
    responseTypes: ['code'],
    jwks: { keys: [{ ...jwk, kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'text';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
  });
  provider.use(interactions);
  // Plain http on loopback: the provider never sees TLS, so no secure cookies are set.
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});

process.stdin.resume();
process.stdin.on('close', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
