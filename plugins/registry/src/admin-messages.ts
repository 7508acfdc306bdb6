/** The registry's admin console page, in the console's languages. */
import type { Catalogues } from 'sugar-server';

type Key =
  | 'title' | 'search' | 'searchLabel' | 'searchHint' | 'shown' | 'serial' | 'nick' | 'keyType' | 'classGroup'
  | 'firstRegistered' | 'lastRegistered' | 'remove' | 'removeWarning' | 'noLaptops' | 'noMatch' | 'total';

export const REGISTRY_WORDS: Catalogues<Key> = {
  en: {
    title: 'Laptops',
    search: 'Search',
    searchLabel: 'Serial or name',
    searchHint: 'Part of a serial number or of the name the child gave the laptop.',
    shown: 'Showing {shown} of {matched} laptops found.',
    total: '{count} laptops are registered.',
    serial: 'Serial',
    nick: 'Name',
    keyType: 'Key type',
    classGroup: 'Class',
    firstRegistered: 'First registered',
    lastRegistered: 'Last registered',
    remove: 'Remove',
    removeWarning: 'Removing a laptop forgets it; it registers again on its next visit to the server.',
    noLaptops: 'No laptop has registered yet.',
    noMatch: 'No laptop matches.',
  },
  es: {
    title: 'Portátiles',
    search: 'Buscar',
    searchLabel: 'Número de serie o nombre',
    searchHint: 'Parte del número de serie o del nombre que el niño o la niña dio al portátil.',
    shown: 'Se muestran {shown} de {matched} portátiles encontrados.',
    total: 'Hay {count} portátiles registrados.',
    serial: 'Número de serie',
    nick: 'Nombre',
    keyType: 'Tipo de clave',
    classGroup: 'Clase',
    firstRegistered: 'Primer registro',
    lastRegistered: 'Último registro',
    remove: 'Quitar',
    removeWarning: 'Quitar un portátil lo olvida; se registra de nuevo en su próxima visita al servidor.',
    noLaptops: 'Todavía no se ha registrado ningún portátil.',
    noMatch: 'Ningún portátil coincide.',
  },
  fr: {
    title: 'Ordinateurs',
    search: 'Chercher',
    searchLabel: 'Numéro de série ou nom',
    searchHint: 'Une partie du numéro de série ou du nom que l’enfant a donné à l’ordinateur.',
    shown: '{shown} ordinateurs affichés sur {matched} trouvés.',
    total: '{count} ordinateurs sont enregistrés.',
    serial: 'Numéro de série',
    nick: 'Nom',
    keyType: 'Type de clé',
    classGroup: 'Classe',
    firstRegistered: 'Premier enregistrement',
    lastRegistered: 'Dernier enregistrement',
    remove: 'Retirer',
    removeWarning: 'Retirer un ordinateur l’oublie ; il s’enregistre à nouveau à sa prochaine visite au serveur.',
    noLaptops: 'Aucun ordinateur ne s’est encore enregistré.',
    noMatch: 'Aucun ordinateur ne correspond.',
  },
};
