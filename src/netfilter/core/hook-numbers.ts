// The kernel's numbers for the IPv4 hooks and their priorities (include/uapi/linux/netfilter.h,
// netfilter_ipv4.h), and the names iptables gives the hooks' chains. A file of its own so that
// the parts the hook list calls (conntrack-in, the NAT hook) can use them without importing it.
import type { HookName } from './trace-events.ts';

// enum nf_inet_hooks
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
export const NF_INET_NUMHOOKS = 5;

/** The hooks as iptables names their chains (the tracer's words), by NF_INET_* number. */
export const HOOK_NAMES: readonly HookName[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** enum nf_ip_hook_priorities (the ones natbox has). */
export const NF_IP_PRI_RAW = -300;
export const NF_IP_PRI_CONNTRACK = -200;
export const NF_IP_PRI_MANGLE = -150;
export const NF_IP_PRI_NAT_DST = -100;
export const NF_IP_PRI_FILTER = 0;
export const NF_IP_PRI_SECURITY = 50;
export const NF_IP_PRI_NAT_SRC = 100;
export const NF_IP_PRI_CONNTRACK_CONFIRM = 0x7fffffff; // INT_MAX
