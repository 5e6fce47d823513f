// Turns a failed download response into a message that says what to do next.

export function httpErrorMessage(
  status: number,
  statusText: string,
  url: string,
  fromHuggingFace: boolean,
  hasToken: boolean,
): string {
  const prefix = `Download failed: HTTP ${status}${statusText === '' ? '' : ` ${statusText}`} for ${url}`;
  if (fromHuggingFace && (status === 401 || status === 403)) {
    return hasToken
      ? `${prefix}: the repository is gated or private and HF_TOKEN was refused; check the token and accept the model's terms on its Hugging Face page`
      : `${prefix}: the repository is gated or private; set HF_TOKEN to a Hugging Face access token`;
  }
  if (status === 401 || status === 403) return `${prefix}: access denied`;
  if (status === 404)
    return `${prefix}: not found (check the owner, repository, revision and file path)`;
  if (status === 429) return `${prefix}: rate limited; try again later`;
  if (status >= 500)
    return `${prefix}: server error; try again later (a partial download is kept and resumed)`;
  return prefix;
}
