// The floor under any FUSE file system that writes through, measured on this machine.
//
// A file system in memory, in C, on libfuse 3's low-level API, answering every request
// on one thread the moment it is read: no store, no hashing, no JavaScript. The bench's
// "fuse-floor" target (bench/targets/fuse-floor-target.ts) runs the same SQLite and bulk
// workloads on it as on chalkfs, so a figure chalkfs misses can be set against what the
// kernel's FUSE protocol alone costs on this kernel and machine (issue 16). Mounted like
// chalkfs's writer: default_permissions, allow_other, 1 MiB requests, no writeback cache,
// so the kernel sends it the same requests; fsync, flush and fsyncdir reach it and are
// answered at once. Unlike chalkfs it lets the kernel keep attributes, names and pages for
// a minute, so its trip count is the lowest a write-through file system can have.
//
// Not a file system to keep data in: everything is lost at unmount; no rename, no links.
//
// With `--store OBJECT_BYTES` it writes through to an S3 store instead of keeping data
// (store_uploads.h): the least a store-backed daemon does for a copy-in, in C.
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nodes.h"

#define TIMEOUT_S 60.0
#define REQUEST_BYTES (1 << 20)

// The entry the kernel gets for ino; giving it out is one more lookup the kernel holds.
static struct fuse_entry_param entry_of(fuse_ino_t ino) {
  struct node* n = get(ino);
  struct fuse_entry_param e;
  memset(&e, 0, sizeof(e));
  e.ino = ino;
  e.generation = 1;
  e.attr_timeout = TIMEOUT_S;
  e.entry_timeout = TIMEOUT_S;
  fill_stat(ino, n, &e.attr);
  n->lookups++;
  return e;
}

static void reply_entry(fuse_req_t req, fuse_ino_t ino) {
  struct fuse_entry_param e = entry_of(ino);
  fuse_reply_entry(req, &e);
}

static void ff_init(void* userdata, struct fuse_conn_info* conn) {
  (void)userdata;
  // As chalkfs asks: 1 MiB requests and readahead, and the kernel's write-through path.
  if (conn->max_write > REQUEST_BYTES) conn->max_write = REQUEST_BYTES;
  if (conn->max_readahead > REQUEST_BYTES) conn->max_readahead = REQUEST_BYTES;
  conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void ff_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  struct node* dir = get(parent);
  if (!dir || !S_ISDIR(dir->mode)) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  long i = find(dir, name);
  if (i < 0) {
    // A missing name is cached by the kernel too (inode 0 with a timeout).
    struct fuse_entry_param e;
    memset(&e, 0, sizeof(e));
    e.entry_timeout = TIMEOUT_S;
    fuse_reply_entry(req, &e);
    return;
  }
  reply_entry(req, dir->entries[i].ino);
}

static void ff_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  struct node* n = get(ino);
  if (n) {
    n->lookups = n->lookups > nlookup ? n->lookups - nlookup : 0;
    maybe_free(ino);
  }
  fuse_reply_none(req);
}

static void ff_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)fi;
  struct node* n = get(ino);
  if (!n) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  struct stat st;
  fill_stat(ino, n, &st);
  fuse_reply_attr(req, &st, TIMEOUT_S);
}

static void ff_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, struct fuse_file_info* fi) {
  (void)fi;
  struct node* n = get(ino);
  if (!n) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if ((to_set & FUSE_SET_ATTR_SIZE) && store_enabled()) {
    n->size = (size_t)attr->st_size;  // store mode keeps no bytes to cut or extend
    n->mtime = now();
  } else if (to_set & FUSE_SET_ATTR_SIZE) {
    int err = resize(n, (size_t)attr->st_size);
    if (err) {
      fuse_reply_err(req, err);
      return;
    }
    n->mtime = now();
  }
  if (to_set & FUSE_SET_ATTR_MODE) n->mode = (n->mode & S_IFMT) | (attr->st_mode & 07777);
  if (to_set & FUSE_SET_ATTR_UID) n->uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) n->gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) n->atime = now();
  else if (to_set & FUSE_SET_ATTR_ATIME) n->atime = attr->st_atim;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) n->mtime = now();
  else if (to_set & FUSE_SET_ATTR_MTIME) n->mtime = attr->st_mtim;
  n->ctime = now();
  struct stat st;
  fill_stat(ino, n, &st);
  fuse_reply_attr(req, &st, TIMEOUT_S);
}

// A new name in parent for a new node of mode; 0 (with the error replied) when refused.
static fuse_ino_t make_node(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  struct node* dir = get(parent);
  if (!dir || !S_ISDIR(dir->mode)) {
    fuse_reply_err(req, ENOTDIR);
    return 0;
  }
  if (find(dir, name) >= 0) {
    fuse_reply_err(req, EEXIST);
    return 0;
  }
  const struct fuse_ctx* ctx = fuse_req_ctx(req);
  fuse_ino_t ino = add_node(mode, ctx->uid, ctx->gid);
  add_entry(dir, name, ino);
  if (S_ISDIR(mode)) dir->nlink++;
  return ino;
}

static void ff_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  fuse_ino_t ino = make_node(req, parent, name, S_IFDIR | (mode & 07777));
  if (ino) reply_entry(req, ino);
}

static void ff_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, struct fuse_file_info* fi) {
  struct node* dir = get(parent);
  long i = dir && S_ISDIR(dir->mode) ? find(dir, name) : -1;
  fuse_ino_t ino;
  if (i >= 0) {  // the kernel's cached negative entry was stale: open what is there
    if (fi->flags & O_EXCL) {
      fuse_reply_err(req, EEXIST);
      return;
    }
    ino = dir->entries[i].ino;
    if (fi->flags & O_TRUNC) resize(get(ino), 0);
  } else {
    ino = make_node(req, parent, name, S_IFREG | (mode & 07777));
    if (!ino) return;
  }
  struct fuse_entry_param e = entry_of(ino);
  fi->keep_cache = 1;
  fuse_reply_create(req, &e, fi);
}

static void ff_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  struct node* n = get(ino);
  if (!n) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (fi->flags & O_TRUNC) resize(n, 0);
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

static void ff_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi) {
  (void)fi;
  struct node* n = get(ino);
  if (!n) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (store_enabled()) {
    fuse_reply_err(req, EIO);  // its bytes are in the store only
    return;
  }
  if ((size_t)off >= n->size) {
    fuse_reply_buf(req, NULL, 0);
    return;
  }
  size_t len = n->size - (size_t)off < size ? n->size - (size_t)off : size;
  fuse_reply_buf(req, n->data + off, len);
}

static void ff_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, struct fuse_file_info* fi) {
  (void)fi;
  struct node* n = get(ino);
  if (!n) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  size_t end = (size_t)off + size;
  if (store_enabled()) {
    if (!n->stored && !(n->stored = calloc(1, sizeof(*n->stored)))) abort();
    store_write(n->stored, buf, size, (size_t)off);
    if (end > n->size) n->size = end;
    n->mtime = n->ctime = now();
    fuse_reply_write(req, size);
    return;
  }
  if (end > n->size) {
    int err = resize(n, end);
    if (err) {
      fuse_reply_err(req, err);
      return;
    }
  }
  memcpy(n->data + off, buf, size);
  n->mtime = n->ctime = now();
  fuse_reply_write(req, size);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char* name, int want_dir) {
  struct node* dir = get(parent);
  long i = dir && S_ISDIR(dir->mode) ? find(dir, name) : -1;
  if (i < 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_ino_t ino = dir->entries[i].ino;
  struct node* n = get(ino);
  if (want_dir && !S_ISDIR(n->mode)) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  if (!want_dir && S_ISDIR(n->mode)) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  if (want_dir && n->nentries > 0) {
    fuse_reply_err(req, ENOTEMPTY);
    return;
  }
  remove_entry(dir, (size_t)i);
  if (want_dir) {
    dir->nlink--;
    n->nlink = 0;
  } else {
    n->nlink--;
  }
  n->ctime = now();
  maybe_free(ino);
  fuse_reply_err(req, 0);
}

static void ff_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_name(req, parent, name, 0); }
static void ff_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_name(req, parent, name, 1); }

static void ff_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)ino;
  (void)fi;
  fuse_reply_err(req, 0);
}

// Flush, fsync, release, fsyncdir: in store mode, once the file's objects are stored.
static void ff_durable(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)fi;
  struct node* n = get(ino);
  fuse_reply_err(req, n && n->stored ? store_flush(n->stored) : 0);
}

static void ff_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info* fi) {
  (void)datasync;
  ff_durable(req, ino, fi);
}

static void ff_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  struct node* n = get(ino);
  if (!n || !S_ISDIR(n->mode)) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  fuse_reply_open(req, fi);
}

static void ff_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi) {
  (void)fi;
  struct node* dir = get(ino);
  if (!dir || !S_ISDIR(dir->mode)) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  char* buf = malloc(size);
  if (!buf) {
    fuse_reply_err(req, ENOMEM);
    return;
  }
  size_t used = 0;
  // Offsets: 0 ".", 1 "..", 2 + i the i-th name; each entry carries the next one's.
  for (size_t k = (size_t)off; k < dir->nentries + 2; k++) {
    struct stat st;
    memset(&st, 0, sizeof(st));
    const char* name;
    if (k == 0) {
      name = ".";
      st.st_ino = ino;
      st.st_mode = S_IFDIR;
    } else if (k == 1) {
      name = "..";
      st.st_ino = FUSE_ROOT_ID;
      st.st_mode = S_IFDIR;
    } else {
      const struct entry* e = &dir->entries[k - 2];
      name = e->name;
      st.st_ino = e->ino;
      st.st_mode = get(e->ino)->mode & S_IFMT;
    }
    size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)(k + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf, used);
  free(buf);
}

static void ff_statfs(fuse_req_t req, fuse_ino_t ino) {
  (void)ino;
  struct statvfs s;
  memset(&s, 0, sizeof(s));
  s.f_bsize = s.f_frsize = 4096;
  s.f_blocks = s.f_bfree = s.f_bavail = 1ULL << 32;
  s.f_files = s.f_ffree = 1ULL << 32;
  s.f_namemax = 255;
  fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops ops = {
    .init = ff_init,
    .lookup = ff_lookup,
    .forget = ff_forget,
    .getattr = ff_getattr,
    .setattr = ff_setattr,
    .mkdir = ff_mkdir,
    .unlink = ff_unlink,
    .rmdir = ff_rmdir,
    .open = ff_open,
    .read = ff_read,
    .write = ff_write,
    .flush = ff_durable,
    .release = ff_durable,
    .fsync = ff_fsync,
    .opendir = ff_opendir,
    .readdir = ff_readdir,
    .releasedir = ff_ok,
    .fsyncdir = ff_fsync,  // a directory holds no objects: answered at once
    .statfs = ff_statfs,
    .create = ff_create,
};

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--store") == 0) {
    char* end;
    unsigned long long object_bytes = strtoull(argv[2], &end, 10);
    if (*end != '\0' || store_start((size_t)object_bytes) != 0) return 2;
    argv[1] = argv[3];
    argc = 2;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: fuse-floor [--store OBJECT_BYTES] MOUNTPOINT\n");
    return 2;
  }
  char* fargv[] = {argv[0], "-o", "fsname=fuse-floor,subtype=fuse-floor,default_permissions,allow_other", NULL};
  struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
  add_node(S_IFDIR | 0755, getuid(), getgid());
  nodes[0]->lookups = 1;
  struct fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
  if (!se) return 1;
  if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) {
    fuse_session_destroy(se);
    return 1;
  }
  // Into the background once mounted, so whoever started it can use the mount at once.
  fuse_daemonize(0);
  if (store_enabled()) store_run_uploaders();
  int res = fuse_session_loop(se);
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  return res == 0 ? 0 : 1;
}
