// One kernel request on its way to JavaScript, and the handle JavaScript answers it by.
//
// Everything the request carries is copied on the loop thread (libfuse reuses its buffer
// once the op returns). JavaScript receives the request as an External; a reply function
// answers it once. One never answered by the time it is garbage collected is answered
// EIO (and counted): a kernel request is never left waiting forever.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core.h"

namespace chalkfs {

struct Request : Message {
  Request(std::shared_ptr<Core> core, Op op, fuse_req_t req, fuse_ino_t ino);

  std::shared_ptr<Core> core;
  Op op;
  fuse_req_t req;
  fuse_ctx ctx;
  uint64_t ino;      // the inode, or the parent directory for ops that take a name
  uint64_t ino2 = 0;  // link's and rename's new parent
  std::string name, name2;
  uint64_t fh = 0;
  bool has_fh = false;
  int flags = 0;
  uint32_t mode = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  int64_t off = 0;
  int64_t len = 0;
  int to_set = 0;
  struct stat attr {};
  int datasync = 0;
  uint64_t lock_owner = 0;
  char* data = nullptr;  // write's bytes, handed to a JS Buffer on delivery
  AttrCache::Ticket attr_ticket = 0;
  SharedOpens::Ticket share_ticket = 0;
  bool replied = false;

  ~Request() override;
  void deliver(Napi::Env env, Session* session) override;
  void abandon() override;
  // Called when JavaScript's handle is collected.
  void collected();
};

// Forgets need no answer (libfuse's reply_none is sent at once); JavaScript only hears them.
struct ForgetMessage : Message {
  std::vector<fuse_forget_data> items;
  void deliver(Napi::Env env, Session* session) override;
};

// Marks the Externals that are requests, so a reply function given anything else throws
// instead of reading foreign memory.
extern const napi_type_tag kRequestTag;

// Sends a request to JavaScript; answers EIO when it can no longer be delivered.
void post_request(Request* r);

}  // namespace chalkfs
