import { errorMessageOf } from '../../api.ts';

/**
 * The JSON events of a chat completions stream (`data: {…}` blocks, ended by `data: [DONE]`). An error sent after
 * the headers (`data: {"error": …}`, STYLE.md) is thrown with its message.
 */
export async function* readSse(response: Response): AsyncGenerator<Record<string, unknown>> {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let boundary = buffer.search(/\r?\n\r?\n/);
    while (boundary !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data === '[DONE]') return;
      if (data !== '') {
        const event = JSON.parse(data) as Record<string, unknown>;
        if ('error' in event) throw new Error(errorMessageOf(event, 500));
        yield event;
      }
      boundary = buffer.search(/\r?\n\r?\n/);
    }
  }
}
