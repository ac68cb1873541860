/** EC2 Describe* filters for EC2NodeClass selector terms (tags, id, name). */
import type { Filter } from '@aws-sdk/client-ec2';

/** `tags: {k: v}` → `tag:k = v`; the value "*" matches any value of the key (`tag-key = k`). */
export function tagFilters(tags: Record<string, string> | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([key, value]) =>
    value === '*' ? { Name: 'tag-key', Values: [key] } : { Name: `tag:${key}`, Values: [value] },
  );
}

export interface SelectorTerm {
  tags?: Record<string, string>;
  id?: string;
  name?: string;
}

/** One term → the filters that select it; `idFilter` / `nameFilter` are the resource's filter names. */
export function termFilters(term: SelectorTerm, idFilter: string, nameFilter?: string): Filter[] {
  const filters = tagFilters(term.tags);
  if (term.id) filters.push({ Name: idFilter, Values: [term.id] });
  if (term.name && nameFilter) filters.push({ Name: nameFilter, Values: [term.name] });
  return filters;
}
