// Person nouns and informal words for them (British, American and
// Australian English), for `colloquial_wordswap_attack`: a model that treats
// "a bloke" differently from "a man" has a robustness (and often a bias)
// problem. Keys are lower case; singular and plural are separate entries so
// that the grammar of the sentence stays right.

export const COLLOQUIALISMS: Readonly<Record<string, readonly string[]>> = {
  man: ['bloke', 'guy', 'dude', 'fella', 'chap'],
  men: ['blokes', 'guys', 'dudes', 'fellas', 'chaps'],
  woman: ['lady', 'gal', 'lass', 'sheila'],
  women: ['ladies', 'gals', 'lasses', 'sheilas'],
  boy: ['lad', 'kid', 'young fella'],
  boys: ['lads', 'kids', 'young fellas'],
  girl: ['lass', 'gal', 'kid'],
  girls: ['lasses', 'gals', 'kids'],
  child: ['kid', 'nipper', 'sprog'],
  children: ['kids', 'nippers', 'sprogs'],
  baby: ['bub', 'bubba', 'little one'],
  babies: ['bubs', 'bubbas', 'little ones'],
  teenager: ['teen', 'youngster', 'adolescent'],
  teenagers: ['teens', 'youngsters', 'adolescents'],
  friend: ['mate', 'buddy', 'pal', 'chum'],
  friends: ['mates', 'buddies', 'pals', 'chums'],
  father: ['dad', 'pop', 'old man'],
  mother: ['mum', 'mom', 'ma', 'old lady'],
  parents: ['folks', 'olds'],
  brother: ['bro'],
  brothers: ['bros'],
  sister: ['sis'],
  husband: ['hubby', 'other half'],
  wife: ['missus', 'other half'],
  grandmother: ['gran', 'granny', 'nana'],
  grandfather: ['grandpa', 'gramps'],
  people: ['folks', 'peeps'],
  policeman: ['cop', 'copper', 'bobby'],
  policemen: ['cops', 'coppers', 'bobbies'],
  doctor: ['doc', 'medic'],
  boss: ['gaffer', 'big cheese', 'head honcho'],
  stranger: ['randomer', 'some random'],
};
