// Prompt templates from Moonshot `prompt-templates/*.json` folders. A
// template's id is its file stem, as in Moonshot (the files' `name` fields
// match their stems). The first folder that has an id wins.
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { PromptTemplateSchema, type PromptTemplate } from './schemas';
import { Emitter } from './emitter';
import type { EndpointProblem } from './endpoints';

export class PromptTemplateRegistry {
  private templates = new Map<string, PromptTemplate>();
  private loadProblems: EndpointProblem[] = [];
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private folders: readonly string[]) {}

  get problems(): readonly EndpointProblem[] {
    return this.loadProblems;
  }

  async setFolders(folders: readonly string[]): Promise<void> {
    this.folders = folders;
    await this.load();
  }

  async load(): Promise<void> {
    const templates = new Map<string, PromptTemplate>();
    const problems: EndpointProblem[] = [];
    for (const dir of this.folders) {
      let names: string[];
      try {
        names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
      } catch (err) {
        problems.push({ origin: dir, message: `cannot read the folder: ${(err as Error).message}` });
        continue;
      }
      for (const name of names) {
        const path = join(dir, name);
        const id = basename(name, '.json');
        if (templates.has(id)) continue;
        try {
          const parsed = PromptTemplateSchema.safeParse(JSON.parse(await fs.readFile(path, 'utf8')));
          if (parsed.success) templates.set(id, { ...parsed.data, name: id });
          else problems.push({ origin: path, message: 'not a Moonshot prompt template (needs "name" and "template")' });
        } catch (err) {
          problems.push({ origin: path, message: `cannot read: ${(err as Error).message}` });
        }
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
