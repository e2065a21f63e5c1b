// The floor's store mode (fuse_floor.c --store): what any daemon that writes a copy-in
// through to an S3 store must do at least, in C. Each file's bytes are gathered into
// objects of a fixed size; a full object is named by its SHA-256 (as chalkfs names a block),
// and PUT with that hash signed (x-amz-content-sha256, so the store checks the body) by
// one of eight threads, each with its own keep-alive libcurl handle and curl's own SigV4
// signer. A flush or fsync answers once every object of the file is stored. Buffers come
// from a free list and go back to it after their PUT, so no object is ever fresh memory
// the kernel must fault in and clear: with the store's CPU measured alongside, its copy-in
// is what this machine gives a daemon with no cost of its own beyond receiving, copying
// once, hashing and sending (issue 16, docs/BENCHMARKS.md part 12).
//
// Not a file system to keep data in: it keeps no bytes after their PUT, so reads fail
// (EIO), and no version or manifest names the objects.
#pragma once

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// PUTs in flight, as chalkfs's writer keeps (chalkfs/daemon/volume-stack.ts); a write
// waits while that many objects are filled and not yet stored.
#define STORE_UPLOADERS 8
#define STORE_MAX_QUEUED STORE_UPLOADERS

// One file's objects on their way.
struct store_file {
  char* object;         // the object being filled, or NULL
  size_t object_index;  // its index in the file (offset / object size)
  size_t object_end;    // bytes filled in it
  size_t pending;       // objects queued or in flight
  int failed;           // a PUT failed: the next flush or fsync answers EIO
};

struct store_upload {
  struct store_file* file;
  char* data;
  size_t len;
  struct store_upload* next;
};

struct free_buffer {
  struct free_buffer* next;
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  struct store_upload *head, *tail;
  size_t queued;  // queued or in flight
  struct free_buffer* free_buffers;
  size_t object_bytes;
  char url_prefix[1024];  // <endpoint>/<bucket>/<prefix>
  char userpwd[512];
  char sigv4[128];
} store = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static int store_enabled(void) { return store.object_bytes != 0; }

// A buffer of object_bytes, from the free list when one is there (call with the lock held).
static char* take_buffer_locked(void) {
  struct free_buffer* b = store.free_buffers;
  if (b) {
    store.free_buffers = b->next;
    return (char*)b;
  }
  char* data = malloc(store.object_bytes);
  if (!data) abort();
  return data;
}

struct body_cursor {
  const char* data;
  size_t left;
};

static size_t read_body(char* into, size_t size, size_t nmemb, void* userdata) {
  struct body_cursor* c = userdata;
  size_t n = size * nmemb < c->left ? size * nmemb : c->left;
  memcpy(into, c->data, n);
  c->data += n;
  c->left -= n;
  return n;
}

static size_t discard_answer(char* ptr, size_t size, size_t nmemb, void* userdata) {
  (void)ptr;
  (void)userdata;
  return size * nmemb;
}

// PUTs data as <prefix><sha256 hex>; 0 on a 2xx answer.
static int put_object(CURL* curl, const char* data, size_t len) {
  unsigned char digest[32];
  unsigned int digest_len = 0;
  if (EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL) != 1) return -1;
  char hex[65];
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  char url[1200], sha_header[128];
  snprintf(url, sizeof(url), "%s%s", store.url_prefix, hex);
  snprintf(sha_header, sizeof(sha_header), "x-amz-content-sha256: %s", hex);
  // curl also sends "Expect: 100-continue", which MinIO answers at once. Turning it off
  // ("Expect:") breaks the signature in curl 7.88: its SigV4 signer signs the header curl
  // then leaves out.
  struct curl_slist* headers = curl_slist_append(NULL, sha_header);
  struct body_cursor cursor = {data, len};
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(curl, CURLOPT_READDATA, &cursor);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, store.sigv4);
  curl_easy_setopt(curl, CURLOPT_USERPWD, store.userpwd);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_answer);
  CURLcode res = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (res != CURLE_OK || status < 200 || status > 299) {
    fprintf(stderr, "fuse-floor: PUT %s failed: %s, HTTP %ld\n", url, curl_easy_strerror(res), status);
    return -1;
  }
  return 0;
}

static void* uploader(void* arg) {
  (void)arg;
  CURL* curl = curl_easy_init();
  if (!curl) abort();
  for (;;) {
    pthread_mutex_lock(&store.lock);
    while (!store.head) pthread_cond_wait(&store.changed, &store.lock);
    struct store_upload* u = store.head;
    store.head = u->next;
    if (!store.head) store.tail = NULL;
    pthread_mutex_unlock(&store.lock);

    int err = put_object(curl, u->data, u->len);

    pthread_mutex_lock(&store.lock);
    struct free_buffer* b = (struct free_buffer*)u->data;
    b->next = store.free_buffers;
    store.free_buffers = b;
    if (err) u->file->failed = 1;
    u->file->pending--;
    store.queued--;
    pthread_cond_broadcast(&store.changed);
    pthread_mutex_unlock(&store.lock);
    free(u);
  }
  return NULL;
}

// Queues f's object being filled, waiting while STORE_MAX_QUEUED are on their way.
static void queue_object(struct store_file* f) {
  if (!f->object) return;
  struct store_upload* u = malloc(sizeof(*u));
  if (!u) abort();
  *u = (struct store_upload){f, f->object, f->object_end, NULL};
  f->object = NULL;
  pthread_mutex_lock(&store.lock);
  while (store.queued >= STORE_MAX_QUEUED) pthread_cond_wait(&store.changed, &store.lock);
  if (store.tail) store.tail->next = u;
  else store.head = u;
  store.tail = u;
  store.queued++;
  f->pending++;
  pthread_cond_broadcast(&store.changed);
  pthread_mutex_unlock(&store.lock);
}

// Copies a write into f's objects, queueing each one it fills or leaves.
static void store_write(struct store_file* f, const char* buf, size_t size, size_t off) {
  const size_t object_bytes = store.object_bytes;
  while (size > 0) {
    size_t index = off / object_bytes, at = off % object_bytes;
    if (f->object && f->object_index != index) queue_object(f);
    if (!f->object) {
      pthread_mutex_lock(&store.lock);
      f->object = take_buffer_locked();
      pthread_mutex_unlock(&store.lock);
      f->object_index = index;
      f->object_end = 0;
    }
    if (at > f->object_end) memset(f->object + f->object_end, 0, at - f->object_end);
    size_t n = object_bytes - at < size ? object_bytes - at : size;
    memcpy(f->object + at, buf, n);
    if (at + n > f->object_end) f->object_end = at + n;
    if (f->object_end == object_bytes) queue_object(f);
    buf += n;
    size -= n;
    off += n;
  }
}

// Queues what f holds and waits until all of it is stored: 0, or EIO if a PUT failed.
static int store_flush(struct store_file* f) {
  queue_object(f);
  pthread_mutex_lock(&store.lock);
  while (f->pending > 0) pthread_cond_wait(&store.changed, &store.lock);
  int failed = f->failed;
  f->failed = 0;
  pthread_mutex_unlock(&store.lock);
  return failed ? EIO : 0;
}

// Store mode from the environment: FLOOR_STORE_URL (http://host:port/bucket/prefix/),
// FLOOR_STORE_KEY, FLOOR_STORE_SECRET, FLOOR_STORE_REGION. 0, or -1 with the reason printed.
static int store_start(size_t object_bytes) {
  const char* url = getenv("FLOOR_STORE_URL");
  const char* key = getenv("FLOOR_STORE_KEY");
  const char* secret = getenv("FLOOR_STORE_SECRET");
  const char* region = getenv("FLOOR_STORE_REGION");
  if (!url || !key || !secret) {
    fprintf(stderr, "fuse-floor: --store needs FLOOR_STORE_URL, FLOOR_STORE_KEY and FLOOR_STORE_SECRET\n");
    return -1;
  }
  if (object_bytes < 4096 || object_bytes > ((size_t)64 << 20)) {
    fprintf(stderr, "fuse-floor: --store object size must be 4 KiB to 64 MiB\n");
    return -1;
  }
  snprintf(store.url_prefix, sizeof(store.url_prefix), "%s", url);
  snprintf(store.userpwd, sizeof(store.userpwd), "%s:%s", key, secret);
  snprintf(store.sigv4, sizeof(store.sigv4), "aws:amz:%s:s3", region ? region : "us-east-1");
  store.object_bytes = object_bytes;
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

// The uploader threads; started after fuse_daemonize, which forks.
static void store_run_uploaders(void) {
  for (int i = 0; i < STORE_UPLOADERS; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, uploader, NULL) != 0) abort();
    pthread_detach(t);
  }
}
