#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int c,char**v){size_t n=256u<<20;
 for(int r=0;r<3;r++){char*p=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
 double t=now(); if(c>1) madvise(p,n,23 /*MADV_POPULATE_WRITE*/); else for(size_t i=0;i<n;i+=4096)p[i]=1; double t1=now();
 memset(p,2,n); double t2=now();
 printf("round %d: first touch %.2f us/page (%.2f ms/MB), memset after %.3f ms/MB\n",r,(t1-t)*1e6/(n/4096),(t1-t)*1e3/(n/1048576.0),(t2-t1)*1e3/(n/1048576.0));
 munmap(p,n);}
}
