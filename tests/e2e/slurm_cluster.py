"""A throwaway single-node Slurm cluster from Debian's slurm-wlm and munge: this host as
controller and compute node, every state, log and pid file in one directory, no system service
touched. Needs root. Used by test_slurm.py and bench/run_sweep.py --slurm."""

import os
import random
import socket
import subprocess
import time


class SingleNodeSlurm:
    def __init__(self, state_dir):
        self.dir = state_dir
        self.conf = os.path.join(state_dir, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.pid_files = []

    def sh(self, args, check=True):
        p = subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}:\n{p.stdout}\n{p.stderr}")
        return p

    def start(self, timeout=60):
        d = self.dir
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        key = os.path.join(d, "munge.key")
        self.sh(["mungekey", "-c", "-f", "-k", key])
        os.chmod(key, 0o600)
        sock = os.path.join(d, "munge.sock")
        self.sh(["munged", f"--key-file={key}", f"--socket={sock}", f"--pid-file={d}/munged.pid",
                 f"--log-file={d}/munged.log", f"--seed-file={d}/munged.seed"])
        self.pid_files.append(f"{d}/munged.pid")
        host = socket.gethostname().split(".")[0]
        port = random.randint(20000, 40000)
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=rapture-test
SlurmctldHost={host}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation={d}/ctld
SlurmdSpoolDir={d}/slurmd
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
SlurmctldPort={port}
SlurmdPort={port + 1}
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
NodeName={host} CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES State=UP MaxTime=INFINITE
""")
        for sub in ("ctld", "slurmd"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        self.sh(["slurmctld", "-f", self.conf])
        self.pid_files.append(f"{d}/slurmctld.pid")
        self.sh(["slurmd", "-f", self.conf])
        self.pid_files.append(f"{d}/slurmd.pid")
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = self.sh(["sinfo", "-h", "-o", "%t"], check=False)
            if p.returncode == 0 and p.stdout.strip() in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        with open(f"{d}/slurmctld.log") as f:
            raise RuntimeError("the node never became idle:\n" + f.read()[-3000:])

    def stop(self):
        for pid_file in reversed(self.pid_files):
            try:
                with open(pid_file) as f:
                    pid = int(f.read().strip())
                os.kill(pid, 15)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.05)
            except (OSError, ValueError):
                pass

    def jobs_left(self, job):
        return self.sh(["squeue", "-h", "-j", job, "-o", "%i"], check=False).stdout.strip()

    def wait_for(self, job, seconds=300):
        """True when the job has left the queue within `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline and self.jobs_left(job):
            time.sleep(0.2)
        return not self.jobs_left(job)
