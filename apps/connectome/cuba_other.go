//go:build !amd64 || purego

package connectome

const haveCUBAKernel = false

func cubaKernel(v, ge, gi, inE, inI []float64, refr []int32, c *cubaConsts) int { return 0 }
