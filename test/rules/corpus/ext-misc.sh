# The misc matches (time, socket, cgroup, cpu, devgroup, realm, osf, cluster): every form the
# kernel here accepts, checked against iptables-save and iptables -L -n -v byte for byte.
# Left to test/rules/ext-misc.test.ts (the kernel refuses them here for a missing object or
# module, so their expected forms come from libxt_*.c of iptables 1.8.9): -m nfacct (needs an
# nfacct object), -m ipvs (ip_vs module absent), -m rateest (needs a RATEEST estimator),
# cgroup --path other than "/" (must exist in the host's cgroup2 tree); and the forms whose
# iptables-save output iptables cannot read back as it was (--weekdays 8, --monthdays 0,
# --datestop 1970-01-01, a cluster node mask above 32, an osf genre with a blank), which corpus
# files must not have. -m rateest's forms come from a kernel run with two RATEEST estimators.
iptables -A INPUT -m time --timestart 09:00 -j ACCEPT
iptables -A INPUT -m time --timestart 09:00 --timestop 17:00 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-01-01 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-01-01T10:20:30 --datestop 2021-02-03T04:05:06 -j ACCEPT
iptables -A INPUT -m time --weekdays Mon,Tue -j ACCEPT
iptables -A INPUT -m time --weekdays 1,2,7 -j ACCEPT
iptables -A INPUT -m time ! --weekdays Mon -j ACCEPT
iptables -A INPUT -m time --weekdays Mo -j ACCEPT
iptables -A INPUT -m time --weekdays Mon,Mon -j ACCEPT
iptables -A INPUT -m time --weekdays Sat,Fri,Thu,Wed -j ACCEPT
iptables -A INPUT -m time --weekdays 1,2,3,4,5,6,7 -j ACCEPT
iptables -A INPUT -m time --weekdays Mon, -j ACCEPT
iptables -A INPUT -m time --monthdays 1,15,31 -j ACCEPT
iptables -A INPUT -m time ! --monthdays 1 -j ACCEPT
iptables -A INPUT -m time --monthdays 100 -j ACCEPT
iptables -A INPUT -m time --monthdays 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31 -j ACCEPT
iptables -A INPUT -m time --timestart 22:00 --timestop 02:00 --contiguous -j ACCEPT
iptables -A INPUT -m time --timestart 22:00 --timestop 02:00 --kerneltz -j ACCEPT
iptables -A INPUT -m time --utc --timestart 1:2:3 -j ACCEPT
iptables -A INPUT -m time --localtz -j ACCEPT
iptables -A INPUT -m time --kerneltz --localtz -j ACCEPT
iptables -A INPUT -m time -j ACCEPT
iptables -A INPUT -m time --datestart 2020 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-05 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-05-06T07 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-05-06T07:08 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-02-30 -j ACCEPT
iptables -A INPUT -m time --datestart 2020-00-00 -j ACCEPT
iptables -A INPUT -m time --datestart 2038-12-31 -j ACCEPT
iptables -A INPUT -m time --datestart 1970-01-01T00:00:01 -j ACCEPT
iptables -A INPUT -m time --datestop 2038-01-19T03:14:07 -j ACCEPT
iptables -A INPUT -m time --datestop 2038-01-19T03:14:08 -j ACCEPT
iptables -A INPUT -m time --timestop 00:00 -j ACCEPT
iptables -A INPUT -m time --timestart 00:00 --timestop 23:59:59 -j ACCEPT
iptables -A INPUT -m time --timestart 23:00 --timestop 01:00 --weekdays Fri --contiguous -j ACCEPT
iptables -A INPUT -m time --weekdays Mon --monthdays 3 --timestart 10:00 --timestop 09:00 --datestart 2020-01-01 --datestop 2030-01-01 --kerneltz --contiguous -j ACCEPT
iptables -A INPUT -m time --timesta 08:00 --timesto 18:00 --week Mon,Tue,Wed,Thu,Fri -j ACCEPT
iptables -A INPUT -m socket -j ACCEPT
iptables -A INPUT -m socket --tr -j ACCEPT
iptables -t mangle -A PREROUTING -m socket --transparent --nowildcard --restore-skmark -j ACCEPT
iptables -t mangle -A PREROUTING -m socket --nowildcard -j ACCEPT
iptables -t mangle -A PREROUTING -m socket --restore-skmark --transparent -j ACCEPT
iptables -t mangle -A PREROUTING -p tcp -m socket -j MARK --set-mark 0x1
iptables -A OUTPUT -m cgroup --cgroup 1 -j ACCEPT
iptables -A OUTPUT -m cgroup ! --cgroup 0x10 -j ACCEPT
iptables -A OUTPUT -m cgroup --cgroup 0 -j ACCEPT
iptables -A OUTPUT -m cgroup --path / -j ACCEPT
iptables -A OUTPUT -m cgroup ! --path / -j ACCEPT
iptables -A INPUT -m cgroup --cgroup 7 -j ACCEPT
iptables -A INPUT -m cpu --cpu 0 -j ACCEPT
iptables -A INPUT -m cpu ! --cpu 3 -j ACCEPT
iptables -A INPUT -m cpu --cpu 0x10 -j ACCEPT
iptables -A FORWARD -m cpu --cpu 4294967295 -j ACCEPT
iptables -A INPUT -m devgroup --src-group 1 -j ACCEPT
iptables -A INPUT -m devgroup ! --src-group 5 -j ACCEPT
iptables -A INPUT -m devgroup --src-group default -j ACCEPT
iptables -A INPUT -m devgroup --src-group 0x10/0x10 -j ACCEPT
iptables -A FORWARD -m devgroup --src-group 1/0xf ! --dst-group 0x2 -j ACCEPT
iptables -A FORWARD -m devgroup --dst-group 0xffffffff/0xffffffff -j ACCEPT
iptables -A OUTPUT -m devgroup --dst-group default -j ACCEPT
iptables -A INPUT -m realm --realm 1 -j ACCEPT
iptables -A INPUT -m realm ! --realm 0x10/0xff -j ACCEPT
iptables -A INPUT -m realm --realm cosmos -j ACCEPT
iptables -A INPUT -m realm --realm 0 -j ACCEPT
iptables -A INPUT -m realm --realm 0xffffffff -j ACCEPT
iptables -A OUTPUT -m realm --realm 5 -j ACCEPT
iptables -A INPUT -p tcp -m osf --genre Linux -j ACCEPT
iptables -A INPUT -p tcp -m osf ! --genre Windows --ttl 2 --log 1 -j ACCEPT
iptables -A FORWARD -p tcp -m osf --genre Linux --ttl 0 -j ACCEPT
iptables -A INPUT -m cluster --cluster-total-nodes 4 --cluster-local-nodemask 0x5 --cluster-hash-seed 0xdeadbeef -j ACCEPT
iptables -A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 1 -j ACCEPT
iptables -A INPUT -m cluster --cluster-total-nodes 4 ! --cluster-local-node 2 --cluster-hash-seed 7 -j ACCEPT
iptables -A INPUT -m cluster --cluster-total-nodes 6 ! --cluster-local-nodemask 32 --cluster-hash-seed 0 -j ACCEPT
