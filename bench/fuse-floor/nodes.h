// The fuse-floor file system's nodes (fuse_floor.c): an inode table in memory, directories
// as arrays of names. One translation unit includes it; everything here is static.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_uploads.h"

struct entry {
  char* name;
  fuse_ino_t ino;
};

struct node {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  nlink_t nlink;
  uint64_t lookups;  // the kernel's references (lookup counts not yet forgotten)
  char* data;
  size_t size, cap;
  struct timespec atime, mtime, ctime;
  struct entry* entries;  // a directory's names
  size_t nentries, centries;
  struct store_file* stored;  // store mode: the file's objects on their way (store_uploads.h)
};

// Inode i is nodes[i - 1]; the root is inode 1. Inode numbers are never reused.
static struct node** nodes;
static size_t nnodes, cnodes;

static struct timespec now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

static struct node* get(fuse_ino_t ino) { return ino >= 1 && ino <= nnodes ? nodes[ino - 1] : NULL; }

static fuse_ino_t add_node(mode_t mode, uid_t uid, gid_t gid) {
  if (nnodes == cnodes) {
    cnodes = cnodes ? cnodes * 2 : 1024;
    nodes = realloc(nodes, cnodes * sizeof(*nodes));
    if (!nodes) abort();
  }
  struct node* n = calloc(1, sizeof(*n));
  if (!n) abort();
  n->mode = mode;
  n->uid = uid;
  n->gid = gid;
  n->nlink = S_ISDIR(mode) ? 2 : 1;
  n->atime = n->mtime = n->ctime = now();
  nodes[nnodes++] = n;
  return nnodes;
}

// A node no name and no kernel reference holds is freed (its inode number stays taken).
static void maybe_free(fuse_ino_t ino) {
  struct node* n = get(ino);
  if (!n || n->nlink > 0 || n->lookups > 0 || ino == FUSE_ROOT_ID) return;
  free(n->data);
  if (n->stored && n->stored->pending == 0) {  // else an uploader still points at it: kept
    free(n->stored->object);
    free(n->stored);
  }
  for (size_t i = 0; i < n->nentries; i++) free(n->entries[i].name);
  free(n->entries);
  free(n);
  nodes[ino - 1] = NULL;
}

static long find(struct node* dir, const char* name) {
  for (size_t i = 0; i < dir->nentries; i++)
    if (strcmp(dir->entries[i].name, name) == 0) return (long)i;
  return -1;
}

static void add_entry(struct node* dir, const char* name, fuse_ino_t ino) {
  if (dir->nentries == dir->centries) {
    dir->centries = dir->centries ? dir->centries * 2 : 16;
    dir->entries = realloc(dir->entries, dir->centries * sizeof(*dir->entries));
    if (!dir->entries) abort();
  }
  dir->entries[dir->nentries].name = strdup(name);
  dir->entries[dir->nentries].ino = ino;
  dir->nentries++;
  dir->mtime = dir->ctime = now();
}

static void remove_entry(struct node* dir, size_t i) {
  free(dir->entries[i].name);
  dir->entries[i] = dir->entries[--dir->nentries];
  dir->mtime = dir->ctime = now();
}

static void fill_stat(fuse_ino_t ino, const struct node* n, struct stat* st) {
  memset(st, 0, sizeof(*st));
  st->st_ino = ino;
  st->st_mode = n->mode;
  st->st_nlink = n->nlink;
  st->st_uid = n->uid;
  st->st_gid = n->gid;
  st->st_size = (off_t)n->size;
  st->st_blksize = 4096;
  st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
  st->st_atim = n->atime;
  st->st_mtim = n->mtime;
  st->st_ctim = n->ctime;
}

static int resize(struct node* n, size_t size) {
  if (size > n->cap) {
    size_t cap = n->cap ? n->cap : 4096;
    while (cap < size) cap *= 2;
    char* data = realloc(n->data, cap);
    if (!data) return ENOSPC;
    n->data = data;
    n->cap = cap;
  }
  if (size > n->size) memset(n->data + n->size, 0, size - n->size);
  n->size = size;
  return 0;
}
