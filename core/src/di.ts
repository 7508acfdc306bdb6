/**
 * The DI container. tsyringe needs the Reflect polyfill loaded before it, so every
 * use of tsyringe in the core goes through this module.
 */
import 'reflect-metadata';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';

/** A fresh root for one daemon, so tests running several never share registrations. */
export function createRootContainer(): DependencyContainer {
  return globalContainer.createChildContainer();
}
