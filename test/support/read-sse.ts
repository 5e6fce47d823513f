/** The `data:` payloads of an SSE response, in order (a test-side reader, independent of Rialto's parser). */
export async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event !== '')
    .map((event) => {
      if (!event.startsWith('data: '))
        throw new Error(`not an SSE data event: ${event.slice(0, 80)}`);
      return event.slice('data: '.length);
    });
}
