// One new file written with O_DIRECT, on libuv's thread pool (chalkfs/host/uncached-file-write.ts).
//
// Why: every block the daemon fetches or writes also goes to the disk tier of its cache,
// and a buffered write puts the block in the page cache a second time (the memory tier
// holds it already): fresh pages, ext4's delayed allocation and a later writeback. With
// the disk tier off, a cold read or a copy-in cost the daemon 0.5-1.9 ms less CPU per MB
// (docs/BENCHMARKS.md, part 9); dd wrote 256 MiB with O_DIRECT at 0.08 ms of system CPU
// per MB against 0.5-3.3 buffered. A direct write moves the caller's
// bytes to the disk from memory already touched: a copy into an aligned buffer this
// thread keeps, then write(2).
//
// O_DIRECT wants the buffer's address, the file offset and the length aligned to the
// filesystem's logical block size: 4096 covers every Linux filesystem here, so the
// length is rounded up with zeros and the file cut back to its size with ftruncate.
#include "uncached_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace chalkfs {
namespace {

constexpr size_t kAlignment = 4096;
// A thread keeps its aligned buffer for the next write up to this size (block sizes are
// 1-8 MiB in practice); a larger one is freed after its write.
constexpr size_t kKeptBufferBytes = 16u << 20;

struct AlignedBuffer {
  void* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { free(data); }
};

thread_local AlignedBuffer thread_buffer;

class UncachedWrite : public Napi::AsyncWorker {
 public:
  UncachedWrite(Napi::Env env, std::string path, Napi::Buffer<uint8_t> data)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)), bytes_(data.Data()), length_(data.Length()) {
    // The buffer's bytes live outside V8's heap and do not move; the reference keeps them
    // alive until the write is done.
    data_ref_ = Napi::Persistent(data.As<Napi::Object>());
  }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    const size_t rounded = (length_ + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded > thread_buffer.capacity) {
      free(thread_buffer.data);
      thread_buffer = AlignedBuffer{};
      if (posix_memalign(&thread_buffer.data, kAlignment, rounded) != 0) return fail(ENOMEM, "posix_memalign");
      thread_buffer.capacity = rounded;
    }
    auto* aligned = static_cast<uint8_t*>(thread_buffer.data);
    if (length_ > 0) memcpy(aligned, bytes_, length_);
    memset(aligned + length_, 0, rounded - length_);
    run(aligned, rounded);
    if (thread_buffer.capacity > kKeptBufferBytes) {
      free(thread_buffer.data);
      thread_buffer = AlignedBuffer{};
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    data_ref_.Reset();
    if (err_ == 0) return deferred_.Resolve(Napi::Boolean::New(env, direct_));
    Napi::Error error = Napi::Error::New(env, std::string(strerrorname_np(err_) ? strerrorname_np(err_) : "EIO") + ": " + strerror(err_) + ", " + syscall_ + " '" + path_ + "'");
    error.Set("code", Napi::String::New(env, strerrorname_np(err_) ? strerrorname_np(err_) : "EIO"));
    error.Set("errno", Napi::Number::New(env, -err_));
    error.Set("syscall", Napi::String::New(env, syscall_));
    error.Set("path", Napi::String::New(env, path_));
    deferred_.Reject(error.Value());
  }

 private:
  void fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  // Writes `rounded` bytes of `aligned` and cuts the file to length_; on EINVAL from a
  // filesystem without O_DIRECT (at open or at the first write) leaves nothing behind and
  // reports direct_ = false for the caller to write it the ordinary way.
  void run(const uint8_t* aligned, size_t rounded) {
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EINVAL) return;  // direct_ stays false: no file was made
      return fail(errno, "open");
    }
    size_t done = 0;
    while (done < rounded) {
      const ssize_t n = write(fd, aligned + done, rounded - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || n == 0) {
        const int err = n < 0 ? errno : EIO;
        close(fd);
        unlink(path_.c_str());
        if (err == EINVAL && done == 0) return;  // O_DIRECT refused at the first write
        return fail(err, "write");
      }
      done += static_cast<size_t>(n);
    }
    if (rounded != length_ && ftruncate(fd, static_cast<off_t>(length_)) != 0) {
      const int err = errno;
      close(fd);
      unlink(path_.c_str());
      return fail(err, "ftruncate");
    }
    if (close(fd) != 0) {
      const int err = errno;
      unlink(path_.c_str());
      return fail(err, "close");
    }
    direct_ = true;
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference data_ref_;
  std::string path_;
  const uint8_t* bytes_;
  size_t length_;
  bool direct_ = false;
  int err_ = 0;
  const char* syscall_ = "";
};

Napi::Value write_file(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    throw Napi::TypeError::New(env, "write(path, buffer) takes a path and a Buffer");
  }
  auto* work = new UncachedWrite(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Buffer<uint8_t>>());
  Napi::Promise promise = work->promise();
  work->Queue();  // the AsyncWorker deletes itself after OnOK
  return promise;
}

}  // namespace

Napi::Object uncached_write_object(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("write", Napi::Function::New(env, write_file, "write"));
  return o;
}

}  // namespace chalkfs
