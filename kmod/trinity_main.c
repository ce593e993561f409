// SPDX-License-Identifier: GPL-2.0
/*
 * The trinity module: the /dev/trinity misc device, its versioned ioctls and the
 * tracepoints' definitions. The runtime calls it at a few moments (instance creation,
 * sandbox lock-down, JIT code registration), never per domain transition.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>

#include "trinity_internal.h"
#include "trinity_uapi.h"

#define CREATE_TRACE_POINTS
#include "trinity_trace.h"

static long trinity_version_ioctl(void __user *arg)
{
	struct trinity_version v = {
		.major = TRINITY_API_MAJOR,
		.minor = TRINITY_API_MINOR,
		.features = TRINITY_FEATURE_ATTEST | TRINITY_FEATURE_JIT_CODE,
	};

	if (trinity_pku_fault_attached())
		v.features |= TRINITY_FEATURE_PKU_FAULT;
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		v.features |= TRINITY_FEATURE_PKU;
	if (copy_to_user(arg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long trinity_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case TRINITY_IOC_VERSION:
		return trinity_version_ioctl(uarg);
	case TRINITY_IOC_ATTEST:
		return trinity_attest_ioctl(uarg);
	case TRINITY_IOC_JIT_CODE:
		return trinity_jit_code_ioctl(uarg);
	default:
		return -ENOTTY;
	}
}

static int trinity_open(struct inode *inode, struct file *file)
{
	struct trinity_client *client = kzalloc(sizeof(*client), GFP_KERNEL);

	if (!client)
		return -ENOMEM;
	client->tgid = current->tgid;
	trinity_watch(client);
	file->private_data = client;
	return 0;
}

static int trinity_release(struct inode *inode, struct file *file)
{
	trinity_unwatch(file->private_data);
	return 0;
}

static const struct file_operations trinity_fops = {
	.owner = THIS_MODULE,
	.open = trinity_open,
	.release = trinity_release,
	.unlocked_ioctl = trinity_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Every query is about the caller itself, so any user may open the device. */
static struct miscdevice trinity_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "trinity",
	.fops = &trinity_fops,
	.mode = 0666,
};

static int __init trinity_init(void)
{
	int err;

	err = trinity_pku_fault_init();
	if (err)
		pr_info("trinity: trinity:pku_fault unavailable (%d)\n", err);
	err = misc_register(&trinity_misc);
	if (err) {
		trinity_pku_fault_exit();
		return err;
	}
	return 0;
}

static void __exit trinity_exit(void)
{
	misc_deregister(&trinity_misc);
	trinity_pku_fault_exit();
}

module_init(trinity_init);
module_exit(trinity_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Trinity: kernel attestation of plugin isolation state, with tracepoints");
MODULE_AUTHOR("The Trinity authors");
