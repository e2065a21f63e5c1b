# chalkfs's libfuse 3 binding (Node-API) and the test binary for its C rules.
# Built offline against the system's Node headers by scripts/build-native.sh (also the
# package's install script): node-gyp rebuild --nodedir=/usr
{
  "targets": [
    {
      "target_name": "chalkfs_fuse",
      "sources": [
        "src/addon.cc",
        "src/session.cc",
        "src/js_loop.cc",
        "src/lowlevel_ops.cc",
        "src/request.cc",
        "src/replies.cc",
        "src/convert.cc",
        "src/notifier.cc",
        "src/attr_cache.cc",
        "src/shared_opens.cc",
        "src/file_locks.cc",
        "src/allocator.cc",
        "src/uncached_write.cc"
      ],
      "include_dirs": ["<!(node -p \"require('path').dirname(require.resolve('node-addon-api/package.json'))\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "<!@(pkg-config --cflags fuse3)"],
      "libraries": ["<!@(pkg-config --libs fuse3)"]
    }
  ],
  # The test binary of the C rules is built only for development (scripts/build-native.sh
  # passes --chalkfs_rules_test=1 when native/test is there; the npm package ships no tests).
  "variables": { "chalkfs_rules_test%": 0 },
  "conditions": [["chalkfs_rules_test==1", { "targets": [
    {
      "target_name": "rules_test",
      "type": "executable",
      "sources": ["test/rules_test.cc", "src/attr_cache.cc", "src/shared_opens.cc"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-pthread"]
    }
  ] }]]
}
