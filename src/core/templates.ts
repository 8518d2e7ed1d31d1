// Prompt templates from Moonshot `prompt-templates/*.json` folders. A
// template's id is its file stem, as in Moonshot (the files' `name` fields
// match their stems). The first folder that has an id wins.
import { PromptTemplateSchema, type PromptTemplate } from './schemas';
import { Emitter } from './emitter';
import { readJsonFolder, type LoadProblem } from './jsonFolder';

export class PromptTemplateRegistry {
  private templates = new Map<string, PromptTemplate>();
  private loadProblems: LoadProblem[] = [];
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private folders: readonly string[]) {}

  get problems(): readonly LoadProblem[] {
    return this.loadProblems;
  }

  async setFolders(folders: readonly string[]): Promise<void> {
    this.folders = folders;
    await this.load();
  }

  async load(): Promise<void> {
    const templates = new Map<string, PromptTemplate>();
    const problems: LoadProblem[] = [];
    for (const dir of this.folders) {
      for (const file of await readJsonFolder(dir, problems, { skip: (stem) => templates.has(stem) })) {
        const parsed = PromptTemplateSchema.safeParse(file.value);
        if (parsed.success) templates.set(file.stem, { ...parsed.data, name: file.stem });
        else problems.push({ origin: file.path, message: 'not a Moonshot prompt template (needs "name" and "template")' });
      }
    }
    this.templates = templates;
    this.loadProblems = problems;
    this.changed.fire();
  }

  get(name: string): PromptTemplate | undefined {
    return this.templates.get(name);
  }

  list(): PromptTemplate[] {
    return [...this.templates.values()].map(({ name, description, template }) => ({ name, description, template }));
  }
}
