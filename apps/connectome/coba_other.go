//go:build !amd64 || purego

package connectome

const haveCOBAKernel = false

func cobaKernel(v, ge, gi, inE, inI []float64, refr []int32, c *cobaConsts) int { return 0 }
