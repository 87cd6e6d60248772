import { del, get, post, put } from "../api";

export interface MemoryFileInfo {
  path: string;
  size: number;
  updated_at: string;
}

export interface MemoryTree {
  files: MemoryFileInfo[];
  total_bytes: number;
  limits?: { max_file_bytes: number; max_total_bytes: number };
}

export interface MemoryFile extends MemoryFileInfo {
  content: string;
}

export interface MemoryVersion {
  id: string;
  path: string;
  author: string;
  action: string;
  deleted: boolean;
  size: number;
  other_path?: string;
  created_at: string;
  content?: string;
}

/** rel is a stored path ("/memories/a/b.md") as the API's URL path ("a/b.md"). */
const rel = (path: string) =>
  path
    .replace(/^\/memories\/?/, "")
    .split("/")
    .map(encodeURIComponent)
    .join("/");

export const memoryApi = {
  tree: () => get<MemoryTree>("/memory"),
  read: (path: string) => get<MemoryFile>(`/memory/${rel(path)}`),
  write: (path: string, content: string) => put<MemoryFile>(`/memory/${rel(path)}`, { content }),
  remove: (path: string) => del(`/memory/${rel(path)}`),
  versions: async (path: string) => {
    const res = await get<{ versions: MemoryVersion[] } | MemoryVersion[]>(`/memory-versions?path=${encodeURIComponent(path)}`);
    return Array.isArray(res) ? res : (res.versions ?? []);
  },
  version: (id: string) => get<MemoryVersion>(`/memory-versions/${encodeURIComponent(id)}`),
  revert: (id: string) => post(`/memory-versions/${encodeURIComponent(id)}/revert`),
};
