/**
 * Messages for the person at the terminal: Chinese when their locale is Chinese (LC_ALL, then
 * LC_MESSAGES, then LANG, as POSIX orders them), English otherwise. Every command (fields, batch,
 * report, notebook) words its messages through `say`, so one choice holds everywhere.
 */
export function chineseLocale(env: NodeJS.ProcessEnv = process.env): boolean {
  const l = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh([_.@-]|$)/i.test(l);
}

/** The message in the user's language. */
export function say(en: string, zh: string, env: NodeJS.ProcessEnv = process.env): string {
  return chineseLocale(env) ? zh : en;
}
