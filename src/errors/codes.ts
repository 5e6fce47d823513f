// The Venice error table, verbatim from docs/api-reference/error-codes.mdx.
// Every error Rialto sends is one of these codes; status and message come only from here.
export const ERROR_CODES = {
  AUTHENTICATION_FAILED: { status: 401, message: 'Authentication failed', log: 'none' },
  AUTHENTICATION_FAILED_INACTIVE_KEY: {
    status: 401,
    message:
      'Authentication failed - Pro subscription is inactive. Please upgrade your subscription to continue using the API',
    log: 'none',
  },
  X402_INVALID_SIGN_IN: { status: 401, message: 'Invalid Sign-in-with-x signature', log: 'none' },
  PRO_ONLY_MODEL: {
    status: 401,
    message: 'This model is only available to Pro users',
    log: 'none',
  },
  INSUFFICIENT_BALANCE: {
    status: 402,
    message:
      'Insufficient USD or Diem balance to complete request. Visit https://venice.ai/settings/api to add credits.',
    log: 'none',
  },
  API_KEY_DIEM_SPEND_LIMIT_EXCEEDED: {
    status: 402,
    message:
      'API key DIEM spend limit exceeded. Your account may still have DIEM balance, but this API key has reached its configured DIEM spending limit.',
    log: 'none',
  },
  API_KEY_USD_SPEND_LIMIT_EXCEEDED: {
    status: 402,
    message:
      'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
    log: 'none',
  },
  UNAUTHORIZED: { status: 403, message: 'Unauthorized access', log: 'none' },
  API_ACCESS_DISABLED: {
    status: 403,
    message: 'API access has been disabled for this account. Please contact support@venice.ai',
    log: 'none',
  },
  X402_WALLET_MISMATCH: {
    status: 403,
    message: 'You can only access resources for your own wallet',
    log: 'none',
  },
  INVALID_REQUEST: { status: 400, message: 'Invalid request parameters', log: 'none' },
  INVALID_MODEL: { status: 400, message: 'Invalid model specified', log: 'none' },
  REQUEST_ID_NOT_FOUND: { status: 400, message: 'Request ID is invalid.', log: 'none' },
  INVALID_AUDIO_FORMAT: {
    status: 400,
    message: 'Invalid audio format. Supported formats are WAV and MP3.',
    log: 'none',
  },
  INVALID_VIDEO_FORMAT: {
    status: 400,
    message:
      'Invalid video format. Supported formats include MP4, MOV, WebM, MKV, AVI, and others.',
    log: 'none',
  },
  CORRUPTED_IMAGE: {
    status: 400,
    message: 'The image file is corrupted or unreadable',
    log: 'none',
  },
  IMAGE_TOO_SMALL: { status: 400, message: 'Image dimensions are too small', log: 'none' },
  TOO_MANY_TOKENS: {
    status: 400,
    message:
      "Your request exceeds the model's maximum context. Please reduce your prompt or completion length.",
    log: 'none',
  },
  CHARACTER_NOT_FOUND: {
    status: 404,
    message: 'No character could be found from the provided character_slug',
    log: 'none',
  },
  MODEL_NOT_FOUND: { status: 404, message: 'Specified model not found', log: 'none' },
  /** DELETE /audio/voices/{id} (Rialto's): no voice of the caller's with that handle. */
  VOICE_NOT_FOUND: { status: 404, message: 'Voice not found', log: 'none' },
  /** GET /admin/wallets/{address}/entries (Rialto's): the ledger has no such wallet. */
  WALLET_NOT_FOUND: { status: 404, message: 'Wallet not found', log: 'none' },
  MEDIA_NOT_FOUND: {
    status: 404,
    message: 'Media could not be found. Request may be invalid, expired, or deleted.',
    log: 'none',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The request payload is too large. Please reduce the size of your request.',
    log: 'none',
  },
  INVALID_CONTENT_TYPE: { status: 415, message: 'Invalid request content-type', log: 'none' },
  VIDEO_DURATION_TOO_LONG: {
    status: 422,
    message: 'Video duration exceeds the maximum allowed.',
    log: 'none',
  },
  VIDEO_DURATION_TOO_SHORT: { status: 422, message: 'Video duration is too short.', log: 'none' },
  IMAGE_TOO_LARGE: {
    status: 422,
    message: 'Image dimensions exceed the maximum allowed.',
    log: 'none',
  },
  CONTENT_POLICY_VIOLATION: {
    status: 422,
    message: 'Your prompt violates the content policy of Venice.ai or the model provider',
    log: 'none',
  },
  ASR_UPSTREAM_VALIDATION_FAILED: {
    status: 422,
    message:
      'The audio could not be processed for transcription. Common causes: zero-length, silent, corrupt, or unsupported-language audio. Please verify the file and retry.',
    log: 'warn',
  },
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Rate limit exceeded', log: 'none' },
  MODEL_OVERLOADED: {
    status: 429,
    message: 'The model is currently overloaded. Please try again later.',
    log: 'none',
  },
  INFERENCE_FAILED: { status: 500, message: 'Inference processing failed', log: 'error' },
  UPSCALE_FAILED: { status: 500, message: 'Image upscaling failed', log: 'error' },
  IMAGE_EDIT_ERROR: { status: 500, message: 'Image edit failed', log: 'error' },
  UNKNOWN_ERROR: { status: 500, message: 'An unknown error occurred', log: 'error' },
  TEE_ATTESTATION_FAILED: {
    status: 502,
    message:
      'TEE attestation request failed. The Trusted Execution Environment provider may be temporarily unavailable.',
    log: 'error',
  },
  TEE_SIGNATURE_FAILED: {
    status: 502,
    message:
      'TEE signature request failed. The Trusted Execution Environment provider may be temporarily unavailable.',
    log: 'error',
  },
  ASR_UPSTREAM_FAILED: {
    status: 502,
    message: 'Audio transcription failed due to a temporary upstream error. Please retry.',
    log: 'warn',
  },
  MODEL_OFFLINE: {
    status: 503,
    message: 'The model is temporarily offline. Please try again later.',
    log: 'none',
  },
  MODEL_AT_CAPACITY: {
    status: 503,
    message: 'The model is at capacity. Please try again later.',
    log: 'none',
  },
  REQUEST_TIMEOUT: {
    status: 504,
    message:
      'The request took too long to complete and was timed-out. For long-running inference requests, use the streaming API by setting `stream=true` in your request.',
    log: 'none',
  },
  // Rialto's additions, for cases the table has no code for (statuses follow the docs named beside each).
  ROUTE_NOT_FOUND: { status: 404, message: 'The requested endpoint does not exist', log: 'none' },
  // A response still running when a graceful shutdown's deadline came (server.shutdownGraceSeconds); 503 as MODEL_OFFLINE.
  SHUTTING_DOWN: {
    status: 503,
    message: 'The server is shutting down and cut this response short. Please retry.',
    log: 'none',
  },
  // rateLimits.onStoreError fail-closed: the limiter's Redis cannot be reached (logged once a minute, not per request).
  RATE_LIMITER_UNAVAILABLE: {
    status: 503,
    message: 'Rate limits cannot be checked right now. Please try again later.',
    log: 'none',
  },
  // docs/overview/deprecations.mdx: after sunset a model auto-routes to its replacement or answers 410.
  // docs/guides/media/video-generation.mdx, "Private download links": a link past its 24 h, or revoked, is gone.
  DOWNLOAD_LINK_GONE: {
    status: 410,
    message: 'This download link has expired or was revoked.',
    log: 'none',
  },
  MODEL_REMOVED: {
    status: 410,
    message: 'This model has been removed. See /models for the available models.',
    log: 'none',
  },
  // docs/guides/tools/document-extraction.mdx: /augment/text-parser on a file with no text (a scan) is this 400.
  NO_TEXT_CONTENT: {
    status: 400,
    message: 'No text content could be extracted from the file.',
    log: 'none',
  },
  // swagger cryptoRpcProxy 500: "the upstream fetch failed (network error / timeout)": every node of the network
  // failed, or answered something other than JSON-RPC (src/services/crypto/).
  RPC_NODE_FAILED: {
    status: 500,
    message: 'The RPC request could not be completed by an upstream node. Please try again later.',
    log: 'warn',
  },
  // POST /x402/top-up (swagger: its 400/500 body {error: code, message, details}; INVENTORY §4.1 "Top-up settlement").
  X402_INVALID_PAYMENT: { status: 400, message: 'Invalid payment header', log: 'none' },
  X402_PAYMENT_VERIFICATION_FAILED: {
    status: 400,
    message: 'Payment verification failed',
    log: 'none',
  },
  X402_AMOUNT_OUT_OF_RANGE: {
    status: 400,
    message: 'Top-up amount is outside the allowed range',
    log: 'none',
  },
  X402_PAYMENT_ALREADY_CREDITED: {
    status: 400,
    message: 'This payment has already been credited',
    log: 'none',
  },
  X402_SETTLEMENT_FAILED: { status: 500, message: 'Payment settlement failed', log: 'warn' },
} as const satisfies Record<
  string,
  { status: number; message: string; log: 'none' | 'warn' | 'error' }
>;

export type ErrorCode = keyof typeof ERROR_CODES;
