/** Public surface of the API-platform OAuth mock and the client side of its signed-JWT flow. */
export { createOAuthRouter, createOAuthApp, JtiCache, OAUTH_MOUNT, type OAuthDeps } from './app';
export {
  OAUTH_ERRORS,
  OAUTH_ERROR_CODES,
  oauthError,
  renderOAuthErrorTableMarkdown,
  type OAuthErrorCode,
  type OAuthErrorEntry,
} from './errors';
export {
  OAUTH_SIGNING_KEY,
  ACCESS_TOKEN_LIFETIME_S,
  CLIENT_ASSERTION_TYPE,
  MAX_ASSERTION_LIFETIME_S,
  issueAccessToken,
  verifyAccessToken,
  signClientAssertion,
  requestAccessToken,
  looksLikeJwt,
  TokenRequestError,
  type AccessTokenClaims,
  type AccessTokenCheck,
  type ClientAssertionInput,
  type TokenResponse,
} from './tokens';
