"""CPU seconds (user + system) of this process plus live DataLoader worker processes, read from /proc:
os.times() counts children only once they have exited, and the workers must be measured while alive."""
import os


def cpu_seconds(pids):
    t = os.times()
    total = t.user + t.system
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # utime, stime are fields 14 and 15
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
