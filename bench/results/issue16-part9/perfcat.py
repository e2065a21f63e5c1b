# usage: perfcat.py PERF.DATA -> the daemon's samples by category (self time of each symbol, grouped)
import subprocess, sys, re, collections
out = subprocess.run(['perf', 'report', '-i', sys.argv[1], '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none'], capture_output=True, text=True, env={'PATH': '/usr/bin:/bin'}).stdout
cats = collections.OrderedDict((k, 0.0) for k in ['SHA-256', 'V8 GC', 'page faults and zeroing', 'kernel copies', 'kernel FUSE', 'kernel network', 'kernel file I/O', 'scheduler and wake-ups', 'V8 JS and runtime', 'other kernel', 'other'])
rules = [
  ('SHA-256', r'sha256'),
  ('V8 GC', r'Marking|Sweep|Scaveng|GC|Heap::|MemoryChunk|Evacuat|Compact|PointersUpdating|StringTableCleaner|ClearWeak|IteratePointers|SizeFromMap|ShouldVisit|RememberedSet|SlotSet|ProcessStrong|Mark'),
  ('page faults and zeroing', r'page_fault|clear_page|do_anonymous_page|handle_mm_fault|__handle_mm_fault|alloc_pages|folio_alloc|get_page_from_freelist|rmqueue|memcg|lru_add|zap_|unmap|free_pages|free_unref|release_pages|__folio_put|mod_memcg|charge'),
  ('kernel copies', r'memcpy|copy_to_iter|copy_from_iter|copy_page|copy_user|copy_folio|fuse_copy'),
  ('kernel FUSE', r'fuse_'),
  ('kernel network', r'tcp_|skb|sock|inet_|ip_|__dev_|net_|napi|virtnet|softirq'),
  ('kernel file I/O', r'ext4|jbd2|bio_|blk_|iomap|filemap|generic_perform|dio|submit_|virtblk|pagecache'),
  ('scheduler and wake-ups', r'schedule|task_switch|futex|wake|enqueue|dequeue|update_curr|pick_next|ttwu|select_task|try_to_wake|hrtimer|epoll|ep_poll'),
  ('V8 JS and runtime', r'Builtins_|v8::|node::|uv_|^0x|Runtime_|Interpreter|Baseline|JS'),
]
total = 0.0
for line in out.splitlines():
    m = re.match(r'\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)', line)
    if not m: continue
    pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
    total += pct
    for cat, rx in rules:
        if re.search(rx, sym): cats[cat] += pct; break
    else:
        cats['other kernel' if kind == 'k' else 'other'] += pct
for k, v in cats.items(): print(f'{v:6.1f}%  {k}')
print(f'{total:6.1f}%  total')
