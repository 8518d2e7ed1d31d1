// Latin letters and the characters of other scripts that look like them in
// common fonts (Cyrillic, Greek, Armenian and a few Latin extensions). The
// table is written with escapes on purpose: the look-alikes are
// indistinguishable from the letters they replace when printed.
// The first entry of each list is the closest match (used by
// `unicode_confusable`); `homoglyph_attack` picks among all of them.

export const CONFUSABLES: Readonly<Record<string, readonly string[]>> = {
  a: ['\u0430'], // Cyrillic a
  c: ['\u0441', '\u03f2'], // Cyrillic es, Greek lunate sigma
  d: ['\u0501'], // Cyrillic komi de
  e: ['\u0435'], // Cyrillic ie
  g: ['\u0261'], // Latin script g
  h: ['\u04bb'], // Cyrillic shha
  i: ['\u0456'], // Cyrillic Byelorussian-Ukrainian i
  j: ['\u0458'], // Cyrillic je
  k: ['\u03ba'], // Greek kappa
  l: ['\u04cf', '\u217c'], // Cyrillic palochka, small Roman numeral fifty
  o: ['\u043e', '\u03bf'], // Cyrillic o, Greek omicron
  p: ['\u0440', '\u03c1'], // Cyrillic er, Greek rho
  q: ['\u051b'], // Cyrillic qa
  s: ['\u0455'], // Cyrillic dze
  u: ['\u057d'], // Armenian seh
  v: ['\u03bd', '\u0475'], // Greek nu, Cyrillic izhitsa
  w: ['\u051d'], // Cyrillic we
  x: ['\u0445'], // Cyrillic ha
  y: ['\u0443'], // Cyrillic u
  A: ['\u0410', '\u0391'], // Cyrillic A, Greek Alpha
  B: ['\u0412', '\u0392'], // Cyrillic Ve, Greek Beta
  C: ['\u0421', '\u03f9'], // Cyrillic Es, Greek lunate Sigma
  E: ['\u0415', '\u0395'], // Cyrillic Ie, Greek Epsilon
  H: ['\u041d', '\u0397'], // Cyrillic En, Greek Eta
  I: ['\u0406', '\u0399'], // Cyrillic I, Greek Iota
  J: ['\u0408'], // Cyrillic Je
  K: ['\u041a', '\u039a'], // Cyrillic Ka, Greek Kappa
  M: ['\u041c', '\u039c'], // Cyrillic Em, Greek Mu
  N: ['\u039d'], // Greek Nu
  O: ['\u041e', '\u039f'], // Cyrillic O, Greek Omicron
  P: ['\u0420', '\u03a1'], // Cyrillic Er, Greek Rho
  S: ['\u0405'], // Cyrillic Dze
  T: ['\u0422', '\u03a4'], // Cyrillic Te, Greek Tau
  X: ['\u0425', '\u03a7'], // Cyrillic Ha, Greek Chi
  Y: ['\u04ae', '\u03a5'], // Cyrillic straight U, Greek Upsilon
  Z: ['\u0396'], // Greek Zeta
};
