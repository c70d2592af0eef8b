import type { Page } from 'playwright-core';
import { waitFor } from './freePort';

/**
 * What a user does in the browser VS Code, as keystrokes: runs a command from the palette,
 * answers quick inputs by their title, and reads the Worker Lens status bar item. Every
 * step waits on what is drawn, never on time.
 */
export function workbenchUser(page: Page) {
  const title = page.locator('.quick-input-widget .quick-input-title');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const status = page.locator('.statusbar-item', { hasText: /\d+\/\d+ workers/ });
  const titled = (text: string) =>
    waitFor(async () => (await title.innerText().catch(() => '')).includes(text), { message: `quick input "${text}"` });
  return {
    status,
    /** F1, the command's full title ("Workers: Add Connection"), Enter. */
    async run(command: string): Promise<void> {
      await page.keyboard.press('F1');
      await page.keyboard.type(command);
      await rows
        .filter({ hasText: command.replace(/^Workers: /, '') })
        .first()
        .waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
    },
    /** The quick input titled `text`: its value replaced by `value` (in a pick: the filter), then Enter. */
    async answer(text: string, value: string): Promise<void> {
      await titled(text);
      await page.keyboard.press('Control+A');
      await page.keyboard.type(value);
      await page.keyboard.press('Enter');
    },
    /** The quick pick titled `text`, once its first item is `first`: Enter takes it. */
    async pickFirst(text: string, first: string): Promise<void> {
      await titled(text);
      await waitFor(
        async () =>
          (
            await rows
              .first()
              .innerText()
              .catch(() => '')
          ).includes(first),
        { message: `"${first}" offered first in "${text}"` },
      );
      await page.keyboard.press('Enter');
    },
    /** Waits for the status bar item to match `expected`; says what it read if it never does. */
    async statusReads(expected: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
      let shown = '';
      await waitFor(
        async () =>
          expected.test(
            (shown = (
              await status
                .first()
                .innerText()
                .catch(() => '')
            ).trim()),
          ),
        {
          timeoutMs,
          message: () => `${what} (the status bar reads "${shown}")`,
        },
      );
    },
  };
}
