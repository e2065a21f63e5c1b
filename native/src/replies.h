#pragma once
#include <napi.h>
namespace chalkfs {
void export_replies(Napi::Env env, Napi::Object exports);
}
